package simulator

// Talk (spreed) was not recorded (nc34-services/README.md §6): these routes
// follow Talk's documentation, are off unless SetApp("spreed", true), and
// answer like the recorded server's unknown route (404/998) when off.

import (
	"net/http"
	"slices"
	"strings"
)

// room is a Talk conversation.
type room struct {
	token  string
	name   string
	typ    int
	owner  string
	groups []string
}

var talkRoutes = []ocsRoute{
	{"GET", "apps/spreed/api/v4/room", loggedIn, false, (*Simulator).talkRooms},
	{"POST", "apps/spreed/api/v4/room", loggedIn, false, (*Simulator).talkCreateRoom},
	{"DELETE", "apps/spreed/api/v4/room/{token}", loggedIn, false, (*Simulator).talkDeleteRoom},
}

func (s *Simulator) roomJSON(r *room) obj {
	return obj{{"token", r.token}, {"type", r.typ}, {"name", r.name}, {"displayName", r.name}}
}

func (s *Simulator) talkRooms(c *ocsCall) ocsResult {
	if !s.appOn("spreed") {
		return appMissing()
	}
	out := []any{}
	for _, r := range s.svc().rooms {
		in := strings.EqualFold(r.owner, c.user.id)
		for _, g := range r.groups {
			in = in || s.inGroupOf(c.user, g)
		}
		if in {
			out = append(out, s.roomJSON(r))
		}
	}
	return ok(out)
}

func (s *Simulator) talkCreateRoom(c *ocsCall) ocsResult {
	if !s.appOn("spreed") {
		return appMissing()
	}
	if c.param("roomType") != "2" || strings.TrimSpace(c.param("roomName")) == "" {
		return fail(http.StatusBadRequest, "")
	}
	r := &room{token: strings.ToLower(newAppPassword()[:8]), name: c.param("roomName"), typ: 2, owner: c.user.id}
	if c.param("source") == "groups" {
		g := s.groups[strings.ToLower(c.param("invite"))]
		if g == nil {
			return fail(http.StatusNotFound, "")
		}
		r.groups = append(r.groups, g.id)
	}
	s.svc().rooms = append(s.svc().rooms, r)
	return ocsResult{code: http.StatusCreated, msg: "OK", data: s.roomJSON(r)}
}

func (s *Simulator) talkDeleteRoom(c *ocsCall) ocsResult {
	if !s.appOn("spreed") {
		return appMissing()
	}
	rooms := s.svc().rooms
	i := slices.IndexFunc(rooms, func(r *room) bool { return r.token == c.vars["token"] && strings.EqualFold(r.owner, c.user.id) })
	if i < 0 {
		return fail(http.StatusNotFound, "")
	}
	s.svc().rooms = slices.Delete(rooms, i, i+1)
	return ok(obj{})
}
