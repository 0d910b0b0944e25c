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
	manage := []any{}
	for _, m := range f.manage {
		name := m.id
		if m.kind == "user" {
			if u := s.user(m.id); u != nil {
				name = u.display()
			}
		} else if g := s.groups[m.id]; g != nil {
			name = g.displayName
		}
		manage = append(manage, obj{{"type", m.kind}, {"id", m.id}, {"displayname", name}})
	}
	if s.opts.Profile.GroupFolderWholeFolder {
		return obj{{"id", f.id}, {"mount_point", f.mount}, {"quota", f.quota}, {"acl", f.acl},
			{"acl_default_no_permission", false}, {"size", f.root.size()}, {"groups", groups},
			{"group_details", details}, {"manage", manage}}
	}
	return obj{{"id", f.id}, {"mount_point", f.mount}, {"groups", groups}, {"quota", f.quota},
		{"size", f.root.size()}, {"acl", f.acl}, {"manage", manage}, {"group_details", details}}
}

// written is the answer of a group-folder write: {"success":true}, with the
// whole folder where the profile says so.
func (s *Simulator) written(f *groupFolder) ocsResult {
	if s.opts.Profile.GroupFolderWholeFolder {
		return ok(obj{{"success", true}, {"folder", s.folderData(f)}})
	}
	return ok(success)
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
	offset, limit := intParam(c, "offset", 0), intParam(c, "limit", -1)
	if !s.opts.Profile.GroupFolderWholeFolder {
		offset, limit = 0, -1
	} else {
		// groupfolders 22 orders by mount point unless told otherwise.
		sort.SliceStable(ids, func(i, j int) bool {
			return strings.ToLower(s.folders[ids[i]].mount) < strings.ToLower(s.folders[ids[j]].mount)
		})
	}
	out := obj{}
	for i, id := range page(ids, limit, offset) {
		d := s.folderData(s.folders[id])
		if s.opts.Profile.GroupFolderWholeFolder {
			d = append(d, kv{"sortIndex", i})
		}
		out = append(out, kv{strconv.Itoa(id), d})
	}
	if len(out) == 0 && s.opts.Profile.GroupFolderWholeFolder {
		return ok([]any{})
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
	if s.opts.Profile.GroupFolderPlainErrors {
		for _, other := range s.folders {
			if other.mount == mount {
				return fail(http.StatusBadRequest, "Mount point already exists")
			}
		}
	}
	f := &groupFolder{id: s.nextFolder, mount: mount, quota: QuotaUnlimited, root: s.newNode(mount, true, nil)}
	s.nextFolder++
	s.folders[f.id] = f
	if s.opts.Profile.GroupFolderWholeFolder {
		d := s.folderData(f)
		if c.format == "xml" {
			// The XML answer of a new folder has no group_details, as recorded.
			kept := d[:0:0]
			for _, e := range d {
				if e.k != "group_details" {
					kept = append(kept, e)
				}
			}
			d = kept
		}
		return ok(d)
	}
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
			return s.written(f)
		}
	}
	f.groups = append(f.groups, folderGroup{gid: gid, perms: permAll})
	return s.written(f)
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
	return s.written(f)
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
	return s.written(f)
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
	return s.written(f)
}

// setFolderACL answers POST folders/{id}/acl (acl=1|0).
func (s *Simulator) setFolderACL(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	f.acl = c.param("acl") == "1" || c.param("acl") == "true"
	return s.written(f)
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
	return s.written(f)
}

// setFolderManageACL answers POST folders/{id}/manageACL (mappingType,
// mappingId, manageAcl): who may manage the folder's ACL rules.
func (s *Simulator) setFolderManageACL(c *ocsCall) ocsResult {
	f := s.folder(c)
	if f == nil {
		return fail(http.StatusNotFound, "")
	}
	m := aclManager{kind: c.param("mappingType"), id: c.param("mappingId")}
	if m.kind != "user" && m.kind != "group" {
		m.kind = "user"
	}
	kept := f.manage[:0]
	for _, o := range f.manage {
		if o != m {
			kept = append(kept, o)
		}
	}
	f.manage = kept
	if v := c.param("manageAcl"); v == "true" || v == "1" {
		f.manage = append(f.manage, m)
	}
	return s.written(f)
}
