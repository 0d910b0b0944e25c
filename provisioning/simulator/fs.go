package simulator

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"mime"
	"path"
	"sort"
	"strings"
	"time"
)

// Permission bits used by shares and group folders.
const (
	permRead   = 1
	permUpdate = 2
	permCreate = 4
	permDelete = 8
	permShare  = 16
	permAll    = 31
)

// node is a file or folder.
type node struct {
	name     string
	dir      bool
	children map[string]*node
	data     []byte
	etag     string
	id       int64
	mtime    time.Time
	parent   *node
}

// newNode creates a node under parent (nil for a root) with fresh ids.
func (s *Simulator) newNode(name string, dir bool, parent *node) *node {
	n := &node{name: name, dir: dir, id: s.nextFileID, parent: parent}
	s.nextFileID++
	if dir {
		n.children = map[string]*node{}
	}
	if parent != nil {
		parent.children[name] = n
	}
	s.touch(n)
	return n
}

// touch gives n and its ancestors a new etag and modification time, as
// Nextcloud propagates changes up to the root.
func (s *Simulator) touch(n *node) {
	now := s.now()
	for ; n != nil; n = n.parent {
		s.etagSeq++
		if n.dir {
			// uniqid()-style: seconds then a counter, 13 hex digits.
			n.etag = fmt.Sprintf("%08x%05x", now.Unix()&0xffffffff, s.etagSeq&0xfffff)
		} else {
			sum := md5.Sum([]byte(fmt.Sprintf("%d/%d/%d", n.id, s.etagSeq, len(n.data))))
			n.etag = hex.EncodeToString(sum[:])
		}
		n.mtime = now
	}
}

// size is the number of bytes stored under n.
func (n *node) size() int64 {
	if !n.dir {
		return int64(len(n.data))
	}
	var total int64
	for _, c := range n.children {
		total += c.size()
	}
	return total
}

// sortedChildren returns n's children ordered by name.
func (n *node) sortedChildren() []*node {
	out := make([]*node, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// contains reports whether m is n or lies below n.
func (n *node) contains(m *node) bool {
	for ; m != nil; m = m.parent {
		if m == n {
			return true
		}
	}
	return false
}

// walk calls f for every node below n with its path relative to n.
func (n *node) walk(prefix string, f func(p string, m *node)) {
	for _, c := range n.sortedChildren() {
		p := prefix + "/" + c.name
		f(p, c)
		if c.dir {
			c.walk(p, f)
		}
	}
}

// mimeType guesses a file's type from its name like Nextcloud does.
func mimeType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt":
		return "text/plain"
	case ".md":
		return "text/markdown"
	case "":
		return "application/octet-stream"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = t[:i]
		}
		return t
	}
	return "application/octet-stream"
}

// groupFolder is a folder of the groupfolders app.
type groupFolder struct {
	id     int
	mount  string
	groups []folderGroup
	quota  int64
	acl    bool
	manage []aclManager
	root   *node
}

// aclManager is a user or group allowed to manage a group folder's ACL rules.
type aclManager struct {
	kind, id string // kind: "user" or "group"
}

// folderGroup is a group's access to a group folder.
type folderGroup struct {
	gid   string
	perms int
}

// share is a group share of a file or folder.
type share struct {
	id         int
	owner      string
	node       *node
	path       string // in the owner's home, "/TeamShare"
	with       string // group id
	perms      int
	stime      time.Time
	fileParent int64
	storage    int
}

// space is the quota that applies to a place: a user's home or a group
// folder.
type space struct {
	limit int64 // QuotaUnlimited or bytes
	used  int64
}

// free is the number of bytes that may still be written, or QuotaUnlimited.
func (sp space) free() int64 {
	if sp.limit < 0 {
		return QuotaUnlimited
	}
	if f := sp.limit - sp.used; f > 0 {
		return f
	}
	return 0
}

// mount is a share or group folder as it appears in a user's home.
type mount struct {
	name   string
	node   *node
	perms  int
	space  func() space
	shared bool // a share (permission string starts with S)
	folder bool // a group folder (permission string has M)
}

// homeSpace is the quota context of u's own files.
func homeSpace(u *user) func() space {
	return func() space { return space{limit: u.quota, used: u.home.size()} }
}

// mounts lists what appears in u's home besides u's own files: group folders
// of u's groups first, then shares to u's groups, as the recorded listings.
func (s *Simulator) mounts(u *user) []mount {
	var out []mount
	if !s.opts.DisableGroupFolders {
		ids := make([]int, 0, len(s.folders))
		for id := range s.folders {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			f := s.folders[id]
			perms, member := 0, false
			for _, fg := range f.groups {
				if g := s.groups[fg.gid]; g != nil && g.members[u.id] {
					perms |= fg.perms
					member = true
				}
			}
			if !member {
				continue
			}
			out = append(out, mount{name: f.mount, node: f.root, perms: perms, folder: true,
				space: func() space { return space{limit: f.quota, used: f.root.size()} }})
		}
	}
	for _, sh := range s.shares {
		g := s.groups[sh.with]
		if g == nil || !g.members[u.id] || sh.owner == u.id {
			continue
		}
		owner := s.user(sh.owner)
		if owner == nil || owner.home == nil {
			continue
		}
		out = append(out, mount{name: sh.node.name, node: sh.node, perms: sh.perms, shared: true, space: homeSpace(owner)})
	}
	return out
}

// place is a path resolved in a user's WebDAV tree.
type place struct {
	node    *node  // nil when missing
	parent  *node  // the folder holding the last component, when it exists
	name    string // last component
	missing string // Sabre's path for the first missing component ("//NoSuchDir")
	deep    bool   // a component before the last one is missing
	notDir  bool   // a component before the last one is a file
	perms   int
	space   func() space
	mnt     *mount // set when node is the root of a mount
}

// sabrePath joins a folder path and a name the way Sabre's messages do: the
// root folder is "/", so its children read "//name".
func sabrePath(dirComps []string, name string) string {
	return "/" + strings.Join(dirComps, "/") + "/" + name
}

// resolve walks comps from u's home root, entering mounts on the first level.
func (s *Simulator) resolve(u *user, comps []string) place {
	cur := u.home
	pl := place{node: cur, perms: permAll, space: homeSpace(u)}
	for i, c := range comps {
		last := i == len(comps)-1
		if !cur.dir {
			return place{notDir: true, deep: !last, name: comps[len(comps)-1], missing: sabrePath(comps[:i], c), perms: pl.perms, space: pl.space}
		}
		var next *node
		var mnt *mount
		if i == 0 {
			for _, m := range s.mounts(u) {
				if m.name == c {
					m := m
					mnt, next = &m, m.node
					pl.perms, pl.space = m.perms, m.space
					break
				}
			}
		}
		if next == nil {
			next = cur.children[c]
		}
		if next == nil {
			return place{parent: cur, name: c, missing: sabrePath(comps[:i], c), deep: !last, perms: pl.perms, space: pl.space}
		}
		pl.parent, pl.node, pl.name, pl.mnt = cur, next, c, mnt
		cur = next
	}
	return pl
}

// removeShares drops shares of n or of anything below it.
func (s *Simulator) removeShares(n *node) {
	kept := s.shares[:0]
	for _, sh := range s.shares {
		if !n.contains(sh.node) {
			kept = append(kept, sh)
		}
	}
	s.shares = kept
}

// permString renders oc:permissions.
func permString(perms int, dir bool, m *mount) string {
	var b strings.Builder
	if m != nil && m.shared {
		b.WriteString("S")
	}
	if perms&permShare != 0 {
		b.WriteString("R")
	}
	if m != nil && m.folder {
		b.WriteString("M")
	}
	b.WriteString("G")
	if perms&permDelete != 0 {
		b.WriteString("D")
	}
	if perms&permUpdate != 0 {
		b.WriteString("NV")
		if !dir {
			b.WriteString("W")
		}
	}
	if dir && perms&permCreate != 0 {
		b.WriteString("CK")
	}
	return b.String()
}
