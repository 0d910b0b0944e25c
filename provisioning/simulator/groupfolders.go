package simulator

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// success is the data of groupfolders mutations.
var success = obj{{"success", true}}

// folderData renders a group folder like the groupfolders app.
func (s *Simulator) folderData(f *groupFolder) obj {
	groups, details := obj{}, obj{}
	for _, fg := range f.groups {
		name := fg.gid
		if g := s.groups[fg.gid]; g != nil {
			name = g.displayName
		}
		groups = append(groups, kv{fg.gid, fg.perms})
		details = append(details, kv{fg.gid, obj{{"displayName", name}, {"permissions", fg.perms}, {"type", "group"}}})
	}
	return obj{{"id", f.id}, {"mount_point", f.mount}, {"groups", groups}, {"quota", f.quota},
		{"size", f.root.size()}, {"acl", f.acl}, {"manage", []any{}}, {"group_details", details}}
}

// folder returns the group folder named by the {id} route variable.
func (s *Simulator) folder(c *ocsCall) *groupFolder {
	id, err := strconv.Atoi(c.param("id"))
	if err != nil {
		return nil
	}
	return s.folders[id]
}

// listFolders answers GET folders: an object keyed by folder id.
func (s *Simulator) listFolders(c *ocsCall) ocsResult {
	ids := make([]int, 0, len(s.folders))
	for id := range s.folders {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	out := obj{}
	for _, id := range ids {
		out = append(out, kv{strconv.Itoa(id), s.folderData(s.folders[id])})
	}
	return ok(out)
}

// createFolder answers POST folders (mountpoint=…). The recorded XML answer
// carries an empty groups list that the JSON one lacks.
func (s *Simulator) createFolder(c *ocsCall) ocsResult {
	mount := strings.TrimSpace(c.param("mountpoint"))
	if mount == "" {
		return fail(http.StatusBadRequest, "")
	}
	f := &groupFolder{id: s.nextFolder, mount: mount, quota: QuotaUnlimited, root: s.newNode(mount, true, nil)}
	s.nextFolder++
	s.folders[f.id] = f
	if c.format == "xml" {
		return ok(obj{{"id", f.id}, {"groups", []any{}}})
	}
	return ok(obj{{"id", f.id}})
}

// getFolder answers GET folders/{id}.
func (s *Simulator) getFolder(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	return ok(s.folderData(f))
}

// deleteFolder answers DELETE folders/{id}.
func (s *Simulator) deleteFolder(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	s.removeShares(f.root)
	delete(s.folders, f.id)
	return ok(success)
}

// addFolderGroup answers POST folders/{id}/groups (group=…); unknown groups
// are accepted, as recorded.
func (s *Simulator) addFolderGroup(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	gid := c.param("group")
	for _, fg := range f.groups {
		if fg.gid == gid {
			return ok(success)
		}
	}
	f.groups = append(f.groups, folderGroup{gid: gid, perms: permAll})
	return ok(success)
}

// setFolderPermissions answers POST folders/{id}/groups/{group}.
func (s *Simulator) setFolderPermissions(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	perms, _ := strconv.Atoi(c.param("permissions"))
	for i, fg := range f.groups {
		if fg.gid == c.param("group") {
			f.groups[i].perms = perms
		}
	}
	return ok(success)
}

// removeFolderGroup answers DELETE folders/{id}/groups/{group}.
func (s *Simulator) removeFolderGroup(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	kept := f.groups[:0]
	for _, fg := range f.groups {
		if fg.gid != c.param("group") {
			kept = append(kept, fg)
		}
	}
	f.groups = kept
	return ok(success)
}

// setFolderQuota answers POST folders/{id}/quota (bytes, -3 unlimited).
func (s *Simulator) setFolderQuota(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	q, err := strconv.ParseInt(c.param("quota"), 10, 64)
	if err != nil {
		q = QuotaUnlimited
	}
	f.quota = q
	return ok(success)
}

// setFolderACL answers POST folders/{id}/acl (acl=1|0).
func (s *Simulator) setFolderACL(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	f.acl = c.param("acl") == "1" || c.param("acl") == "true"
	return ok(success)
}

// renameFolder answers POST folders/{id}/mountpoint.
func (s *Simulator) renameFolder(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	if m := strings.TrimSpace(c.param("mountpoint")); m != "" {
		f.mount = m
		f.root.name = m
	}
	return ok(success)
}
