package simulator

import (
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"
)

// team is a Team of the circles app.
type team struct {
	id          string
	name        string
	displayName string
	owner       string // canonical account id
	initiator   string // the administrator who made it for owner, if any
	config      int
	description string
	creation    int64
	members     []*teamMember
}

// teamMember is a member added to a team: an account or a group.
type teamMember struct {
	group bool
	id    string // account id or group id
	level int    // 1 member, 9 owner
}

func (m *teamMember) key() string {
	if m.group {
		return "group:" + m.id
	}
	return "user:" + m.id
}

// teamConfigLocal is the Local flag: such a team refuses groups.
const teamConfigLocal = 4096

// circlesRoutes are the circles app's OCS routes the engine uses.
var circlesRoutes = []ocsRoute{
	{"GET", "apps/circles/admin/{as}/circles", loggedIn, true, adminRoute((*Simulator).adminListTeams)},
	{"POST", "apps/circles/admin/{as}/circles", loggedIn, true, adminRoute((*Simulator).adminCreateTeam)},
	{"GET", "apps/circles/admin/{as}/circles/{id}", loggedIn, true, adminRoute((*Simulator).adminGetTeam)},
	{"DELETE", "apps/circles/admin/{as}/circles/{id}", loggedIn, true, adminRoute((*Simulator).adminDeleteTeam)},
	{"GET", "apps/circles/admin/{as}/circles/{id}/members", loggedIn, true, adminRoute((*Simulator).adminTeamMembers)},
	{"POST", "apps/circles/admin/{as}/circles/{id}/members", loggedIn, true, adminRoute((*Simulator).adminAddTeamMember)},
	{"PUT", "apps/circles/admin/{as}/circles/{id}/name", loggedIn, true, adminRoute((*Simulator).adminRenameTeam)},
	{"PUT", "apps/circles/admin/{as}/circles/{id}/description", loggedIn, true, adminRoute((*Simulator).adminDescribeTeam)},
	{"GET", "apps/circles/circles", loggedIn, true, (*Simulator).ownTeams},
	{"POST", "apps/circles/circles", loggedIn, true, (*Simulator).createOwnTeam},
}

// newTeamID returns a 31-character id like the circles app's.
func newTeamID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 31)
	rand.Read(b)
	for i, c := range b {
		b[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(b)
}

func (s *Simulator) teamByID(id string) *team {
	for _, t := range s.svc().teams {
		if t.id == id {
			return t
		}
	}
	return nil
}

// teamHas reports whether account u is in team t (owner, member, or member
// of a member group).
func (s *Simulator) teamHas(t *team, u *user) bool {
	if strings.EqualFold(t.owner, u.id) {
		return true
	}
	for _, m := range t.members {
		if (!m.group && strings.EqualFold(m.id, u.id)) || (m.group && s.inGroupOf(u, m.id)) {
			return true
		}
	}
	return false
}

// uniqueTeamName de-duplicates a display name against every circle,
// including the hidden circle each group has (named after its display name).
func (s *Simulator) uniqueTeamName(name string, except *team) string {
	taken := map[string]bool{}
	for _, t := range s.svc().teams {
		if t != except {
			taken[strings.ToLower(t.displayName)] = true
		}
	}
	for _, g := range s.groups {
		taken[strings.ToLower(g.displayName)] = true
	}
	candidate := name
	for n := 2; taken[strings.ToLower(candidate)]; n++ {
		candidate = name + " (" + strconv.Itoa(n) + ")"
	}
	return candidate
}

// emulated returns the account an admin route acts as, or its error.
func (s *Simulator) emulated(c *ocsCall) (*user, *ocsResult) {
	if !s.appOn("circles") {
		r := appMissing()
		return nil, &r
	}
	u := s.user(c.vars["as"])
	if u == nil {
		r := fail(http.StatusNotFound, "user "+c.vars["as"]+" not found")
		return nil, &r
	}
	return u, nil
}

func (s *Simulator) memberJSON(t *team, m *teamMember) obj {
	if m.group {
		g := s.groups[strings.ToLower(m.id)]
		display := m.id
		if g != nil {
			display = g.displayName
		}
		return obj{{"id", "m" + t.id[:10] + m.id}, {"circleId", t.id}, {"userId", display}, {"userType", 16},
			{"level", m.level}, {"status", "Member"}, {"displayName", display},
			{"basedOn", obj{{"name", "group:" + m.id}, {"displayName", display}, {"source", 2}}}}
	}
	display := m.id
	if u := s.user(m.id); u != nil {
		display = u.display()
	}
	return obj{{"id", "m" + t.id[:10] + m.id}, {"circleId", t.id}, {"userId", m.id}, {"userType", 1},
		{"level", m.level}, {"status", "Member"}, {"displayName", display},
		{"basedOn", obj{{"name", "user:" + m.id}, {"displayName", display}, {"source", 1}}}}
}

func (s *Simulator) teamJSON(t *team, as *user) obj {
	population := 0
	for _, m := range t.members {
		if m.group {
			if g := s.groups[strings.ToLower(m.id)]; g != nil {
				population += len(g.members)
			}
		} else {
			population++
		}
	}
	owner := s.memberJSON(t, &teamMember{id: t.owner, level: 9})
	var initiator any = owner
	if as != nil && !strings.EqualFold(as.id, t.owner) {
		level := 0
		for _, m := range t.members {
			if !m.group && strings.EqualFold(m.id, as.id) {
				level = m.level
			}
		}
		if level == 0 && s.teamHas(t, as) {
			level = 1
		}
		initiator = s.memberJSON(t, &teamMember{id: as.id, level: level})
	}
	return obj{{"id", t.id}, {"name", t.name}, {"displayName", t.displayName}, {"sanitizedName", t.name},
		{"source", 16}, {"population", population}, {"populationInherited", population}, {"config", t.config},
		{"description", t.description}, {"url", ""}, {"creation", t.creation}, {"initiator", initiator},
		{"owner", owner}, {"settings", []any{}}}
}

func (s *Simulator) createTeam(owner *user, name string, local bool) ocsResult {
	if len([]rune(strings.TrimSpace(name))) < 3 {
		return fail(http.StatusBadRequest, "Circle name is too short")
	}
	t := &team{id: newTeamID(), name: name, displayName: s.uniqueTeamName(name, nil), owner: owner.id, creation: s.now().Unix()}
	if local {
		t.config = teamConfigLocal
	}
	s.svc().teams = append(s.svc().teams, t)
	return ok(s.teamJSON(t, owner))
}

func (s *Simulator) adminListTeams(c *ocsCall) ocsResult {
	as, res := s.emulated(c)
	if res != nil {
		return *res
	}
	var out []any
	for _, t := range s.svc().teams {
		if s.teamHas(t, as) {
			out = append(out, s.teamJSON(t, as))
		}
	}
	if out == nil {
		out = []any{}
	}
	return ok(out)
}

func (s *Simulator) adminCreateTeam(c *ocsCall) ocsResult {
	as, res := s.emulated(c)
	if res != nil {
		return *res
	}
	return s.createTeam(as, c.param("name"), c.param("local") == "1" || c.param("local") == "true")
}

// visibleTeam returns the team of the route as the emulated account sees it.
func (s *Simulator) visibleTeam(c *ocsCall) (*user, *team, *ocsResult) {
	as, res := s.emulated(c)
	if res != nil {
		return nil, nil, res
	}
	t := s.teamByID(c.vars["id"])
	if t == nil || !s.teamHas(t, as) {
		r := fail(http.StatusNotFound, "Circle not found")
		return nil, nil, &r
	}
	return as, t, nil
}

func (s *Simulator) adminGetTeam(c *ocsCall) ocsResult {
	as, t, res := s.visibleTeam(c)
	if res != nil {
		return *res
	}
	return ok(s.teamJSON(t, as))
}

func (s *Simulator) adminDeleteTeam(c *ocsCall) ocsResult {
	as, t, res := s.visibleTeam(c)
	if res != nil {
		return *res
	}
	if !strings.EqualFold(t.owner, as.id) {
		return fail(http.StatusBadRequest, "Insufficient rights")
	}
	out := s.teamJSON(t, as)
	teams := s.svc().teams[:0]
	for _, x := range s.svc().teams {
		if x != t {
			teams = append(teams, x)
		}
	}
	s.svc().teams = teams
	return ok(out)
}

func (s *Simulator) adminTeamMembers(c *ocsCall) ocsResult {
	_, t, res := s.visibleTeam(c)
	if res != nil {
		return *res
	}
	out := []any{s.memberJSON(t, &teamMember{id: t.owner, level: 9})}
	for _, m := range t.members {
		out = append(out, s.memberJSON(t, m))
	}
	return ok(out)
}

func (s *Simulator) adminAddTeamMember(c *ocsCall) ocsResult {
	_, t, res := s.visibleTeam(c)
	if res != nil {
		return *res
	}
	id := c.param("userId")
	m := &teamMember{id: id, level: 1}
	switch c.param("type") {
	case "2":
		g := s.groups[strings.ToLower(id)]
		if g == nil {
			return fail(http.StatusNotFound, "group not found")
		}
		if t.config&teamConfigLocal != 0 {
			return fail(131, "Member is a non-local Team")
		}
		m.group, m.id = true, g.id
	case "1":
		u := s.user(id)
		if u == nil {
			return fail(http.StatusNotFound, "user "+id+" not found")
		}
		m.id = u.id
	default:
		return fail(http.StatusBadRequest, "Invalid member type")
	}
	if strings.EqualFold(m.id, t.owner) && !m.group {
		return fail(122, "Already member of the team")
	}
	for _, x := range t.members {
		if x.group == m.group && strings.EqualFold(x.id, m.id) {
			return fail(122, "Already member of the team")
		}
	}
	t.members = append(t.members, m)
	data := s.memberJSON(t, m)
	data = append(data, kv{"circle", s.teamJSON(t, nil)})
	return ok(data)
}

func (s *Simulator) adminRenameTeam(c *ocsCall) ocsResult {
	as, t, res := s.visibleTeam(c)
	if res != nil {
		return *res
	}
	name := c.param("value")
	if len([]rune(strings.TrimSpace(name))) < 3 {
		return fail(http.StatusBadRequest, "Circle name is too short")
	}
	t.name, t.displayName = name, s.uniqueTeamName(name, t)
	return ok(s.teamJSON(t, as))
}

func (s *Simulator) adminDescribeTeam(c *ocsCall) ocsResult {
	as, t, res := s.visibleTeam(c)
	if res != nil {
		return *res
	}
	t.description = c.param("value")
	return ok(s.teamJSON(t, as))
}

// ownTeams answers the local route: the caller's own view (the teams it
// belongs to; an administrator sees no other).
func (s *Simulator) ownTeams(c *ocsCall) ocsResult {
	if !s.appOn("circles") {
		return appMissing()
	}
	out := []any{}
	for _, t := range s.svc().teams {
		if s.teamHas(t, c.user) {
			out = append(out, s.teamJSON(t, c.user))
		}
	}
	return ok(out)
}

func (s *Simulator) createOwnTeam(c *ocsCall) ocsResult {
	if !s.appOn("circles") {
		return appMissing()
	}
	return s.createTeam(c.user, c.param("name"), c.param("local") == "1")
}
