package simulator

import (
	"net/http"
	"strconv"
	"strings"
)

// Messages of the sharing API.
const (
	msgWrongPath    = "Wrong path, file/folder does not exist"
	msgWrongShareID = "Wrong share ID, share does not exist"
)

// shareTypeGroup is the only share type the simulator implements.
const shareTypeGroup = 1

// pathComps splits a slash-separated path given as a parameter.
func pathComps(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// shareData renders a share like the files_sharing API.
func (s *Simulator) shareData(sh *share, mailSend int) obj {
	owner := s.user(sh.owner)
	ownerName := sh.owner
	if owner != nil {
		ownerName = owner.display()
	}
	itemType, mt := "folder", "httpd/unix-directory"
	if !sh.node.dir {
		itemType, mt = "file", mimeType(sh.node.name)
	}
	withName := sh.with
	if g := s.groups[sh.with]; g != nil {
		withName = g.displayName
	}
	if s.opts.Profile.NewShareFields {
		return obj{
			{"id", strconv.Itoa(sh.id)}, {"share_type", shareTypeGroup}, {"uid_owner", sh.owner},
			{"displayname_owner", ownerName}, {"permissions", sh.perms}, {"can_edit", true}, {"can_delete", true},
			{"stime", sh.stime.Unix()}, {"parent", nil}, {"expiration", nil}, {"token", nil},
			{"uid_file_owner", sh.owner}, {"note", ""}, {"label", ""}, {"displayname_file_owner", ownerName},
			{"path", sh.path}, {"item_type", itemType}, {"item_permissions", sh.perms}, {"is-mount-root", false},
			{"mount-type", ""}, {"mimetype", mt}, {"has_preview", false},
			{"storage_id", "home::" + sh.owner}, {"storage", sh.storage}, {"item_source", sh.node.id},
			{"file_source", sh.node.id}, {"file_parent", sh.fileParent}, {"file_target", "/" + sh.node.name},
			{"item_size", sh.node.size()}, {"item_mtime", sh.stime.Unix()},
			{"share_with", sh.with}, {"share_with_displayname", withName}, {"mail_send", mailSend},
			{"hide_download", 0}, {"attributes", nil},
		}
	}
	return obj{
		{"id", strconv.Itoa(sh.id)}, {"share_type", shareTypeGroup}, {"uid_owner", sh.owner},
		{"displayname_owner", ownerName}, {"permissions", sh.perms}, {"can_edit", true}, {"can_delete", true},
		{"stime", sh.stime.Unix()}, {"parent", nil}, {"expiration", nil}, {"token", nil},
		{"uid_file_owner", sh.owner}, {"note", ""}, {"label", nil}, {"displayname_file_owner", ownerName},
		{"path", sh.path}, {"item_type", itemType}, {"mimetype", mt}, {"has_preview", false},
		{"storage_id", "home::" + sh.owner}, {"storage", sh.storage}, {"item_source", sh.node.id},
		{"file_source", sh.node.id}, {"file_parent", sh.fileParent}, {"file_target", "/" + sh.node.name},
		{"share_with", sh.with}, {"share_with_displayname", withName}, {"mail_send", mailSend},
		{"hide_download", 0}, {"attributes", nil},
	}
}

// createShare answers POST …/shares. Only group shares (shareType=1) are
// implemented; sharing a path again with the same group returns the existing
// share, as recorded.
func (s *Simulator) createShare(c *ocsCall) ocsResult {
	p := c.param("path")
	if p == "" {
		return fail(http.StatusNotFound, "Please specify a file or folder path")
	}
	pl := s.resolve(c.user, pathComps(p))
	if pl.node == nil {
		return fail(http.StatusNotFound, msgWrongPath)
	}
	if pl.node == c.user.home {
		return fail(http.StatusForbidden, "You cannot share your root folder")
	}
	perms := permAll
	if c.param("permissions") != "" {
		perms, _ = strconv.Atoi(c.param("permissions"))
	}
	if perms < 0 || perms > permAll {
		return fail(http.StatusNotFound, "Invalid permissions")
	}
	perms |= permRead
	if !pl.node.dir {
		perms &^= permDelete | permCreate
	}
	if st, _ := strconv.Atoi(c.param("shareType")); st != shareTypeGroup {
		return fail(http.StatusBadRequest, "Unknown share type")
	}
	with := c.param("shareWith")
	if s.groups[with] == nil {
		return fail(http.StatusNotFound, "Please specify a valid group")
	}
	for _, sh := range s.shares {
		if sh.owner == c.user.id && sh.node == pl.node && sh.with == with {
			return ok(s.shareData(sh, 0))
		}
	}
	sh := &share{id: s.nextShare, owner: c.user.id, node: pl.node, path: "/" + strings.Join(pathComps(p), "/"),
		with: with, perms: perms, stime: s.now(), fileParent: pl.parent.id, storage: c.user.storageID}
	s.nextShare++
	s.shares = append(s.shares, sh)
	return ok(s.shareData(sh, 1))
}

// listShares answers GET …/shares: the caller's shares, optionally for one
// path, or the shares received with shared_with_me=true.
func (s *Simulator) listShares(c *ocsCall) ocsResult {
	out := []any{}
	if c.param("shared_with_me") == "true" {
		for _, sh := range s.shares {
			if g := s.groups[sh.with]; g != nil && g.members[c.user.id] && sh.owner != c.user.id {
				out = append(out, s.shareData(sh, 0))
			}
		}
		return ok(out)
	}
	var target *node
	if p := c.param("path"); p != "" {
		pl := s.resolve(c.user, pathComps(p))
		if pl.node == nil {
			return fail(http.StatusNotFound, msgWrongPath)
		}
		target = pl.node
	}
	for _, sh := range s.shares {
		if sh.owner == c.user.id && (target == nil || sh.node == target) {
			out = append(out, s.shareData(sh, 0))
		}
	}
	return ok(out)
}

// findShare returns the share with the id in the route, visible to the caller.
func (s *Simulator) findShare(c *ocsCall) (int, *share) {
	id, _ := strconv.Atoi(c.param("id"))
	for i, sh := range s.shares {
		if sh.id != id {
			continue
		}
		g := s.groups[sh.with]
		if sh.owner == c.user.id || (g != nil && g.members[c.user.id]) {
			return i, sh
		}
	}
	return -1, nil
}

// getShare answers GET …/shares/{id}.
func (s *Simulator) getShare(c *ocsCall) ocsResult {
	_, sh := s.findShare(c)
	if sh == nil {
		return fail(http.StatusNotFound, msgWrongShareID)
	}
	return ok([]any{s.shareData(sh, 0)})
}

// deleteShare answers DELETE …/shares/{id} (owner only).
func (s *Simulator) deleteShare(c *ocsCall) ocsResult {
	i, sh := s.findShare(c)
	if sh == nil || sh.owner != c.user.id {
		return fail(http.StatusNotFound, msgWrongShareID)
	}
	s.shares = append(s.shares[:i], s.shares[i+1:]...)
	return ok(obj{})
}
