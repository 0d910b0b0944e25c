package simulator

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// board is a Deck board.
type board struct {
	id           int
	title        string
	color        string
	owner        string
	archived     bool
	deletedAt    int64
	lastModified int64
	labels       []obj
	acl          []*deckACL
}

// deckACL is one participant of a board. A dangling entry is what Deck
// 1.18.3 stores when it refuses (500) an ACL for a missing group.
type deckACL struct {
	id          int
	typ         int // 0 user, 1 group, 7 team
	participant string
	edit        bool
	share       bool
	manage      bool
	dangling    bool
}

func aclKey(typ int, participant string) string {
	switch typ {
	case 0:
		return "user:" + participant
	case 1:
		return "group:" + participant
	case 7:
		return "team:" + participant
	}
	return strconv.Itoa(typ) + ":" + participant
}

// deckRoute is one route of Deck's REST API.
type deckRoute struct {
	method  string
	pattern string
	handle  func(*Simulator, *deckCall) (int, any)
}

// deckCall is one Deck request.
type deckCall struct {
	r      *http.Request
	user   *user
	vars   map[string]string
	params map[string][]string
}

func (c *deckCall) param(k string) (string, bool) {
	v, ok := c.params[k]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func (c *deckCall) flag(k string) bool {
	v, _ := c.param(k)
	return v == "1" || v == "true"
}

// deckRoutes lists the REST routes (below /index.php/apps/deck/api/v1.0/).
var deckRoutes = []deckRoute{
	{"GET", "boards", (*Simulator).deckListBoards},
	{"POST", "boards", (*Simulator).deckCreateBoard},
	{"GET", "boards/{id}", (*Simulator).deckGetBoard},
	{"PUT", "boards/{id}", (*Simulator).deckUpdateBoard},
	{"DELETE", "boards/{id}", (*Simulator).deckDeleteBoard},
	{"POST", "boards/{id}/undo_delete", (*Simulator).deckUndoDelete},
	{"POST", "boards/{id}/acl", (*Simulator).deckAddACL},
	{"PUT", "boards/{id}/acl/{acl}", (*Simulator).deckUpdateACL},
	{"DELETE", "boards/{id}/acl/{acl}", (*Simulator).deckDeleteACL},
}

// deckOCSRoutes are Deck's OCS twins (form bodies, OCS envelope).
var deckOCSRoutes = []ocsRoute{
	{"GET", "apps/deck/api/v1.0/boards", loggedIn, false, deckOCS((*Simulator).deckListBoards)},
	{"POST", "apps/deck/api/v1.0/boards", loggedIn, false, deckOCS((*Simulator).deckCreateBoard)},
	{"POST", "apps/deck/api/v1.0/boards/{id}/acl", loggedIn, false, deckOCS((*Simulator).deckAddACL)},
}

// deckOCS adapts a REST handler to the OCS envelope.
func deckOCS(h func(*Simulator, *deckCall) (int, any)) func(*Simulator, *ocsCall) ocsResult {
	return func(s *Simulator, c *ocsCall) ocsResult {
		if !s.appOn("deck") {
			return appMissing()
		}
		s.deckFirstCall(c.user)
		status, data := h(s, &deckCall{r: c.r, user: c.user, vars: c.vars, params: c.params})
		if status != http.StatusOK {
			msg := ""
			if o, isObj := data.(obj); isObj {
				if m, found := o.get("message"); found {
					msg, _ = m.(string)
				}
			}
			return fail(status, msg)
		}
		return ok(data)
	}
}

// deckError is Deck's error body.
func deckError(status int, msg string) (int, any) {
	return status, obj{{"status", status}, {"message", msg}}
}

// deckInternalError is the 500 Deck answers when its database refuses a row.
func deckInternalError() (int, any) {
	id := newAppPassword()[:20]
	return http.StatusInternalServerError, obj{{"status", 500},
		{"message", "Internal server error: Please contact the server administrator if this error reappears multiple times, please include the request ID \"" + id + "\" below in your report."},
		{"requestId", id}}
}

var errPermission = obj{{"status", http.StatusForbidden}, {"message", "Permission denied"}}

// serveDeck answers Deck's REST routes.
func (s *Simulator) serveDeck(w http.ResponseWriter, r *http.Request, segs []string) {
	if !s.throttle(r) {
		return
	}
	params := parseParams(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maintenance {
		w.Header().Set("X-Nextcloud-Maintenance-Mode", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if !s.appOn("deck") {
		http.NotFound(w, r)
		return
	}
	ss := s.authenticate(w, r)
	if ss.throttled {
		writePlainJSON(w, http.StatusTooManyRequests, "Reached maximum delay")
		return
	}
	if ss.user == nil {
		msg := msgNotLoggedIn
		if ss.sent {
			msg = ""
		}
		writePlainJSON(w, http.StatusUnauthorized, msg)
		return
	}
	var route *deckRoute
	var vars map[string]string
	for i := range deckRoutes {
		if v, ok := matchPattern(deckRoutes[i].pattern, segs); ok && deckRoutes[i].method == r.Method {
			route, vars = &deckRoutes[i], v
			break
		}
	}
	if route == nil {
		http.NotFound(w, r)
		return
	}
	s.deckFirstCall(ss.user)
	status, data := route.handle(s, &deckCall{r: r, user: ss.user, vars: vars, params: params})
	var b bytes.Buffer
	if data != nil {
		writePHPJSON(&b, data)
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	if status == http.StatusOK {
		sum := md5.Sum(b.Bytes())
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	}
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// deckFirstCall makes the board Deck gives every account on its first call.
func (s *Simulator) deckFirstCall(u *user) {
	v := s.svc()
	if v.deckUsers[u.id] {
		return
	}
	v.deckUsers[u.id] = true
	v.boardSeq++
	v.boards = append(v.boards, &board{id: v.boardSeq, title: "Welcome to Nextcloud Deck!", color: "bf678b", owner: u.id,
		lastModified: s.now().Unix()})
}

// boardAccess is what account u may do on board b.
func (s *Simulator) boardAccess(b *board, u *user) (read, edit, share, manage bool) {
	if strings.EqualFold(b.owner, u.id) {
		return true, true, true, true
	}
	for _, a := range b.acl {
		if a.dangling {
			continue
		}
		in := false
		switch a.typ {
		case 0:
			in = strings.EqualFold(a.participant, u.id)
		case 1:
			in = s.inGroupOf(u, a.participant)
		case 7:
			t := s.teamByID(a.participant)
			in = t != nil && s.teamHas(t, u)
		}
		if in {
			read = true
			edit, share, manage = edit || a.edit, share || a.share, manage || a.manage
		}
	}
	return
}

func (s *Simulator) boardByID(id string) *board {
	n, err := strconv.Atoi(id)
	if err != nil {
		return nil
	}
	for _, b := range s.svc().boards {
		if b.id == n {
			return b
		}
	}
	return nil
}

// liveBoard returns the route's board when u may read it and it is not
// deleted; Deck answers 403 otherwise, never 404.
func (s *Simulator) liveBoard(c *deckCall) *board {
	b := s.boardByID(c.vars["id"])
	if b == nil || b.deletedAt > 0 {
		return nil
	}
	if read, _, _, _ := s.boardAccess(b, c.user); !read {
		return nil
	}
	return b
}

func (s *Simulator) participantJSON(a *deckACL) any {
	if a.dangling {
		return a.participant
	}
	display := a.participant
	switch a.typ {
	case 0:
		if u := s.user(a.participant); u != nil {
			display = u.display()
		}
	case 1:
		if g := s.groups[strings.ToLower(a.participant)]; g != nil {
			display = g.displayName
		}
	case 7:
		if t := s.teamByID(a.participant); t != nil {
			display = t.displayName
		}
	}
	return obj{{"primaryKey", a.participant}, {"uid", a.participant}, {"displayname", display}, {"type", a.typ}}
}

func (s *Simulator) aclJSON(b *board, a *deckACL) obj {
	return obj{{"id", a.id}, {"participant", s.participantJSON(a)}, {"type", a.typ}, {"boardId", b.id},
		{"permissionEdit", a.edit}, {"permissionShare", a.share}, {"permissionManage", a.manage}, {"owner", false}}
}

func (s *Simulator) boardJSON(b *board, u *user, full bool) obj {
	acl := []any{}
	for _, a := range b.acl {
		acl = append(acl, s.aclJSON(b, a))
	}
	labels := []any{}
	if full {
		for _, l := range b.labels {
			labels = append(labels, l)
		}
	}
	_, edit, share, manage := s.boardAccess(b, u)
	owner := s.user(b.owner)
	display := b.owner
	if owner != nil {
		display = owner.display()
	}
	o := obj{{"id", b.id}, {"title", b.title},
		{"owner", obj{{"primaryKey", b.owner}, {"uid", b.owner}, {"displayname", display}, {"type", 0}}},
		{"color", b.color}, {"archived", b.archived}, {"labels", labels}, {"acl", acl},
		{"permissions", obj{{"PERMISSION_READ", true}, {"PERMISSION_EDIT", edit}, {"PERMISSION_MANAGE", manage}, {"PERMISSION_SHARE", share}}},
		{"users", []any{}}}
	if !full {
		o = append(o, kv{"shared", 0})
	}
	o = append(o, kv{"stacks", []any{}}, kv{"activeSessions", []any{}}, kv{"deletedAt", b.deletedAt},
		kv{"lastModified", b.lastModified}, kv{"shareToken", nil}, kv{"externalId", nil}, kv{"settings", []any{}},
		kv{"ETag", fmt.Sprintf("%x", md5.Sum([]byte(strconv.Itoa(b.id)+"/"+strconv.FormatInt(b.lastModified, 10))))})
	return o
}

func (s *Simulator) deckListBoards(c *deckCall) (int, any) {
	out := []any{}
	for _, b := range s.svc().boards {
		if read, _, _, _ := s.boardAccess(b, c.user); read {
			out = append(out, s.boardJSON(b, c.user, false))
		}
	}
	return http.StatusOK, out
}

func (s *Simulator) deckCreateBoard(c *deckCall) (int, any) {
	title, _ := c.param("title")
	color, hasColor := c.param("color")
	if !hasColor {
		return http.StatusBadRequest, nil
	}
	if strings.TrimSpace(title) == "" {
		return deckError(http.StatusBadRequest, "title must be provided and must be not empty")
	}
	v := s.svc()
	v.boardSeq++
	b := &board{id: v.boardSeq, title: title, color: color, owner: c.user.id, lastModified: 0}
	for _, l := range [][2]string{{"Finished", "31CC7C"}, {"To review", "317CCC"}, {"Action needed", "FF7A66"}, {"Later", "F1DB50"}} {
		v.labelSeq++
		b.labels = append(b.labels, obj{{"id", v.labelSeq}, {"title", l[0]}, {"color", l[1]}, {"boardId", b.id},
			{"cardId", nil}, {"lastModified", s.now().Unix()}, {"ETag", ""}})
	}
	v.boards = append(v.boards, b)
	return http.StatusOK, s.boardJSON(b, c.user, true)
}

func (s *Simulator) deckGetBoard(c *deckCall) (int, any) {
	b := s.liveBoard(c)
	if b == nil {
		return http.StatusForbidden, errPermission
	}
	return http.StatusOK, s.boardJSON(b, c.user, true)
}

func (s *Simulator) deckUpdateBoard(c *deckCall) (int, any) {
	b := s.liveBoard(c)
	if b == nil {
		return http.StatusForbidden, errPermission
	}
	if _, _, _, manage := s.boardAccess(b, c.user); !manage {
		return http.StatusForbidden, errPermission
	}
	title, _ := c.param("title")
	if strings.TrimSpace(title) == "" {
		return deckError(http.StatusBadRequest, "title must be provided and must be not empty")
	}
	b.title = title
	if color, ok := c.param("color"); ok {
		b.color = color
	}
	b.archived = c.flag("archived")
	b.lastModified = s.now().Unix()
	return http.StatusOK, s.boardJSON(b, c.user, true)
}

func (s *Simulator) deckDeleteBoard(c *deckCall) (int, any) {
	b := s.liveBoard(c)
	if b == nil || !strings.EqualFold(b.owner, c.user.id) {
		return http.StatusForbidden, errPermission
	}
	b.deletedAt = s.now().Unix()
	return http.StatusOK, s.boardJSON(b, c.user, true)
}

func (s *Simulator) deckUndoDelete(c *deckCall) (int, any) {
	b := s.boardByID(c.vars["id"])
	if b == nil || !strings.EqualFold(b.owner, c.user.id) {
		return http.StatusForbidden, errPermission
	}
	b.deletedAt = 0
	return http.StatusOK, s.boardJSON(b, c.user, true)
}

func (s *Simulator) deckAddACL(c *deckCall) (int, any) {
	b := s.liveBoard(c)
	if b == nil {
		return http.StatusForbidden, errPermission
	}
	if _, _, share, _ := s.boardAccess(b, c.user); !share {
		return http.StatusForbidden, errPermission
	}
	typStr, _ := c.param("type")
	typ, err := strconv.Atoi(typStr)
	if err != nil {
		return deckError(http.StatusBadRequest, "type must be a number")
	}
	participant, _ := c.param("participant")
	for _, a := range b.acl {
		if a.typ == typ && strings.EqualFold(a.participant, participant) {
			// UNIQUE constraint failed: oc_deck_board_acl…
			return deckInternalError()
		}
	}
	v := s.svc()
	v.aclSeq++
	a := &deckACL{id: v.aclSeq, typ: typ, participant: participant, edit: c.flag("permissionEdit"),
		share: c.flag("permissionShare"), manage: c.flag("permissionManage")}
	exists := false
	switch typ {
	case 0:
		if u := s.user(participant); u != nil {
			exists, a.participant = true, u.id
		}
	case 1:
		if g := s.groups[strings.ToLower(participant)]; g != nil {
			exists, a.participant = true, g.id
		}
	case 7:
		exists = s.teamByID(participant) != nil
	}
	b.acl = append(b.acl, a)
	if !exists {
		// Deck 1.18.3 stores the row, then fails to describe it: 500.
		a.dangling = true
		return deckInternalError()
	}
	return http.StatusOK, s.aclJSON(b, a)
}

func (s *Simulator) findACL(b *board, id string) *deckACL {
	n, _ := strconv.Atoi(id)
	for _, a := range b.acl {
		if a.id == n {
			return a
		}
	}
	return nil
}

func (s *Simulator) deckUpdateACL(c *deckCall) (int, any) {
	b := s.liveBoard(c)
	if b == nil {
		return http.StatusForbidden, errPermission
	}
	a := s.findACL(b, c.vars["acl"])
	if a == nil {
		return http.StatusForbidden, errPermission
	}
	a.edit, a.share, a.manage = c.flag("permissionEdit"), c.flag("permissionShare"), c.flag("permissionManage")
	return http.StatusOK, s.aclJSON(b, a)
}

func (s *Simulator) deckDeleteACL(c *deckCall) (int, any) {
	b := s.liveBoard(c)
	if b == nil {
		return http.StatusForbidden, errPermission
	}
	a := s.findACL(b, c.vars["acl"])
	if a == nil {
		return http.StatusForbidden, errPermission
	}
	kept := b.acl[:0]
	for _, x := range b.acl {
		if x != a {
			kept = append(kept, x)
		}
	}
	b.acl = kept
	if a.dangling {
		// Removed, yet Deck fails to describe what it removed: 500.
		return deckInternalError()
	}
	return http.StatusOK, s.aclJSON(b, a)
}
