package simulator

import (
	"net/http"
	"strings"
)

// msgGroupNotFound is the message of a missing group on member listings.
const msgGroupNotFound = "The requested group could not be found"

// searchGroups selects groups by id or display name, ordered by id.
func (s *Simulator) searchGroups(c *ocsCall) []*group {
	needle := strings.ToLower(c.param("search"))
	var hits []*group
	for _, g := range s.sortedGroups() {
		if needle == "" || strings.Contains(strings.ToLower(g.id), needle) || strings.Contains(strings.ToLower(g.displayName), needle) {
			hits = append(hits, g)
		}
	}
	return page(hits, intParam(c, "limit", -1), intParam(c, "offset", 0))
}

// listGroups answers GET cloud/groups.
func (s *Simulator) listGroups(c *ocsCall) ocsResult {
	ids := []any{}
	for _, g := range s.searchGroups(c) {
		ids = append(ids, g.id)
	}
	return ok(obj{{"groups", ids}})
}

// listGroupsDetails answers GET cloud/groups/details.
func (s *Simulator) listGroupsDetails(c *ocsCall) ocsResult {
	out := []any{}
	for _, g := range s.searchGroups(c) {
		disabled := 0
		for id := range g.members {
			if u := s.user(id); u != nil && !u.enabled {
				disabled++
			}
		}
		out = append(out, obj{{"id", g.id}, {"displayname", g.displayName}, {"usercount", len(g.members)},
			{"disabled", disabled}, {"canAdd", true}, {"canRemove", true}})
	}
	return ok(obj{{"groups", out}})
}

// createGroup answers POST cloud/groups. Group ids are case-sensitive, as in
// Nextcloud's database backend.
func (s *Simulator) createGroup(c *ocsCall) ocsResult {
	gid := c.param("groupid")
	if gid == "" || gid == "0" { // PHP's empty()
		return fail(101, "Invalid group name")
	}
	if s.groups[gid] != nil {
		return fail(102, "group exists")
	}
	g := newGroup(gid)
	if dn := c.param("displayname"); dn != "" {
		g.displayName = dn
	}
	s.groups[gid] = g
	return ok(obj{})
}

// groupMembers answers GET cloud/groups/{groupid} and …/users.
func (s *Simulator) groupMembers(c *ocsCall) ocsResult {
	g := s.groups[c.param("groupid")]
	if g == nil {
		return fail(http.StatusNotFound, msgGroupNotFound)
	}
	if !s.isAdmin(c.user) && !g.subadmins[c.user.id] {
		return fail(http.StatusForbidden, "")
	}
	return ok(obj{{"users", strList(sortedIDs(g.members))}})
}

// groupMembersDetails answers GET cloud/groups/{groupid}/users/details.
func (s *Simulator) groupMembersDetails(c *ocsCall) ocsResult {
	g := s.groups[c.param("groupid")]
	if g == nil || (!s.isAdmin(c.user) && !g.subadmins[c.user.id]) {
		return fail(ocsNotFound, msgGroupNotFound)
	}
	users := obj{}
	members := s.searchUsers(c.param("search"), intParam(c, "limit", -1), intParam(c, "offset", 0),
		func(u *user) bool { return g.members[u.id] })
	for _, u := range members {
		if d := s.userData(c.user, u, false); d != nil {
			users = append(users, kv{u.id, d})
		} else {
			users = append(users, kv{u.id, obj{{"id", u.id}}})
		}
	}
	return ok(obj{{"users", users}})
}

// groupSubadmins answers GET cloud/groups/{groupid}/subadmins.
func (s *Simulator) groupSubadmins(c *ocsCall) ocsResult {
	g := s.groups[c.param("groupid")]
	if g == nil {
		return fail(101, "Group does not exist")
	}
	return ok(strList(sortedIDs(g.subadmins)))
}

// updateGroup answers PUT cloud/groups/{groupid} (key=displayname).
func (s *Simulator) updateGroup(c *ocsCall) ocsResult {
	g := s.groups[c.param("groupid")]
	if g == nil {
		return fail(ocsNotFound, "")
	}
	if c.param("key") != "displayname" {
		return fail(ocsUnknownError, "")
	}
	g.displayName = c.param("value")
	return ok(obj{})
}

// deleteGroupRoute answers DELETE cloud/groups/{groupid}.
func (s *Simulator) deleteGroupRoute(c *ocsCall) ocsResult {
	gid := c.param("groupid")
	g := s.groups[gid]
	switch {
	case g == nil:
		return fail(101, "")
	case gid == adminGroup:
		return fail(102, "")
	}
	s.deleteGroup(g)
	return ok(obj{})
}
