package simulator

// The association's services, as the Nextcloud 34.0.1 recorded in
// nc34-services answered: which apps a host has (this file), calendars
// (caldav.go), address books (carddav.go), Teams (circles.go), Deck boards
// (deck.go) and, unrecorded, Talk conversations (talk.go). Tests switch each
// app on or off per simulator with SetApp.

import (
	"net/http"
	"slices"
	"sort"
	"strings"
)

// The apps enabled on the recorded 34.0.1 server, those of the 27.1 profile
// but Deck; the profile's Apps are enabled too, and groupfolders follows
// Options.DisableGroupFolders. Talk (spreed), forms, polls and the office
// editors were not installed there: SetApp installs and enables them.
var recordedApps = []string{"activity", "app_api", "appstore", "bruteforcesettings", "circles", "cloud_federation_api",
	"comments", "contactsinteraction", "dav", "deck", "federatedfilesharing", "federation", "files", "files_downloadlimit",
	"files_lock", "files_pdfviewer", "files_reminders", "files_sharing", "files_trashbin", "files_versions",
	"firstrunwizard", "groupfolders", "logreader", "lookup_server_connector", "nextcloud_announcements", "notifications",
	"oauth2", "office", "password_policy", "photos", "privacy", "profile", "provisioning_api", "recommendations",
	"related_resources", "serverinfo", "settings", "sharebymail", "support", "survey_client", "systemtags", "text",
	"theming", "twofactor_backupcodes", "twofactor_totp", "user_status", "viewer", "webhook_listeners", "workflowengine"}

// recordedDisabledApps were installed but disabled on the recorded server.
var recordedDisabledApps = []string{"dashboard", "updatenotification", "weather_status"}

// services is the state of the service apps; its zero value is ready (the
// maps are made on first use), so Simulator needs no constructor change.
type services struct {
	apps      map[string]bool // app id → enabled; absent = not installed
	calendars map[string]*davCollection
	books     map[string]*davCollection
	hidden    map[string]bool // "member/owner/uri": a sharee removed it from its own list
	teams     []*team
	boards    []*board
	boardSeq  int
	aclSeq    int
	labelSeq  int
	deckUsers map[string]bool // accounts that made their first Deck call
	rooms     []*room
	ctag      int
}

// svc returns the services state, made on first use. Callers hold s.mu.
func (s *Simulator) svc() *services {
	v := &s.services
	if v.apps == nil {
		v.apps = map[string]bool{}
		for _, a := range recordedApps {
			v.apps[a] = true
		}
		for _, a := range recordedDisabledApps {
			v.apps[a] = false
		}
		if s.opts.Profile.Name != Profile34().Name {
			// Deck was installed on the recorded 34 only.
			delete(v.apps, "deck")
		}
		for _, a := range s.opts.Profile.Apps {
			v.apps[a] = true
		}
		if s.opts.DisableGroupFolders {
			v.apps["groupfolders"] = false
		}
		v.calendars = map[string]*davCollection{}
		v.books = map[string]*davCollection{}
		v.hidden = map[string]bool{}
		v.deckUsers = map[string]bool{}
	}
	return v
}

// SetApp installs and enables an app, or disables it (as occ app:disable
// does: its data stays, its routes answer as if it were absent).
func (s *Simulator) SetApp(id string, enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.svc().apps[id] = enabled
}

// AppEnabled reports whether an app is enabled.
func (s *Simulator) AppEnabled(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appOn(id)
}

// appOn reports whether an app is enabled. Callers hold s.mu.
func (s *Simulator) appOn(id string) bool {
	if id == "groupfolders" && s.opts.DisableGroupFolders {
		return false
	}
	return s.svc().apps[id]
}

// appList lists app ids by state, sorted.
func (s *Simulator) appList(filter string) []string {
	var out []string
	for id, on := range s.svc().apps {
		if id == "groupfolders" && s.opts.DisableGroupFolders {
			on = false
		}
		if filter == "" || (filter == "enabled") == on {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Service route prefixes.
const (
	davCalendarsPrefix = "/remote.php/dav/calendars/"
	davBooksPrefix     = "/remote.php/dav/addressbooks/users/"
	deckPrefix         = "/index.php/apps/deck/api/v1.0/"
	deckPrefixNoIndex  = "/apps/deck/api/v1.0/"
)

func init() {
	ocsRoutes = append(ocsRoutes,
		ocsRoute{"GET", "cloud/apps", loggedIn, false, adminRoute((*Simulator).listApps)},
		ocsRoute{"GET", "cloud/apps/{app}", loggedIn, false, adminRoute((*Simulator).appInfo)},
		ocsRoute{"POST", "cloud/apps/{app}", loggedIn, false, adminRoute((*Simulator).enableAppRoute)},
	)
	ocsRoutes = append(ocsRoutes, circlesRoutes...)
	ocsRoutes = append(ocsRoutes, deckOCSRoutes...)
	ocsRoutes = append(ocsRoutes, talkRoutes...)
}

// serviceRouteName names the service routes for call counts and fault
// rules: "MKCALENDAR /dav/calendars", "POST /dav/addressbooks",
// "POST /apps/deck/boards/{id}/acl". OCS service routes are named by
// routeName like the others ("POST /ocs/apps/circles/admin/{as}/circles").
func serviceRouteName(r *http.Request) (string, bool) {
	p, m := r.URL.EscapedPath(), r.Method
	switch {
	case strings.HasPrefix(p, davCalendarsPrefix):
		return m + " /dav/calendars", true
	case strings.HasPrefix(p, davBooksPrefix):
		return m + " /dav/addressbooks", true
	case strings.HasPrefix(p, deckPrefix), strings.HasPrefix(p, deckPrefixNoIndex):
		segs := splitPath(strings.TrimPrefix(strings.TrimPrefix(p, "/index.php"), deckPrefixNoIndex))
		for _, rt := range deckRoutes {
			if _, ok := matchPattern(rt.pattern, segs); ok && rt.method == m {
				return m + " /apps/deck/" + rt.pattern, true
			}
		}
		return m + " /apps/deck/(unknown)", true
	}
	return "", false
}

// serveServices answers the service routes outside OCS; it reports whether
// r was one of them.
func (s *Simulator) serveServices(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, davCalendarsPrefix):
		s.serveCollections(w, r, calendarTree, splitPath(p[len(davCalendarsPrefix):]))
	case strings.HasPrefix(p, davBooksPrefix):
		s.serveCollections(w, r, bookTree, splitPath(p[len(davBooksPrefix):]))
	case strings.HasPrefix(p, deckPrefix):
		s.serveDeck(w, r, splitPath(p[len(deckPrefix):]))
	case strings.HasPrefix(p, deckPrefixNoIndex):
		s.serveDeck(w, r, splitPath(p[len(deckPrefixNoIndex):]))
	default:
		return false
	}
	return true
}

// msgAdminRequired is what the AdminRequired middleware of app controllers
// (the app list, the circles admin routes) says to a non-administrator; the
// provisioning API words it differently on 34.
const msgAdminRequired = "Logged in account must be an admin"

// adminRoute refuses non-administrators the way app controllers do.
func adminRoute(h func(*Simulator, *ocsCall) ocsResult) func(*Simulator, *ocsCall) ocsResult {
	return func(s *Simulator, c *ocsCall) ocsResult {
		if !s.isAdmin(c.user) {
			msg := msgAdminRequired
			if s.opts.Profile.Name != Profile34().Name {
				msg = msgMustBeAdmin
			}
			return fail(http.StatusForbidden, msg)
		}
		return h(s, c)
	}
}

// appMissing is the answer of an OCS route whose app is absent or disabled:
// the router does not know the route.
func appMissing() ocsResult { return fail(ocsNotFound, msgInvalidQuery) }

// listApps answers GET cloud/apps?filter=enabled|disabled.
func (s *Simulator) listApps(c *ocsCall) ocsResult {
	filter := c.param("filter")
	if filter != "" && filter != "enabled" && filter != "disabled" {
		return fail(101, "")
	}
	return ok(obj{{"apps", strList(s.appList(filter))}})
}

// appInfo answers GET cloud/apps/{app} with a few info.xml fields.
func (s *Simulator) appInfo(c *ocsCall) ocsResult {
	id := c.vars["app"]
	if _, installed := s.svc().apps[id]; !installed {
		return fail(ocsNotFound, "The request app was not found")
	}
	version := map[string]string{"deck": "1.18.3", "circles": "34.0.0", "dav": "1.39.0", "groupfolders": "22.0.6"}[id]
	if version == "" {
		version = "1.0.0"
	}
	return ok(obj{{"id", id}, {"name", id}, {"version", version},
		{"dependencies", obj{{"nextcloud", obj{{"@attributes", obj{{"min-version", "34"}, {"max-version", "34"}}}}}}}})
}

// enableAppRoute answers POST cloud/apps/{app}: a strict password
// confirmation route, which an app password never passes.
func (s *Simulator) enableAppRoute(c *ocsCall) ocsResult {
	if c.token != "" {
		s.failures[clientIP(c.r)]++ // logged as a failed login
		return fail(http.StatusForbidden, "Password confirmation is required")
	}
	if _, installed := s.svc().apps[c.vars["app"]]; !installed {
		return fail(ocsNotFound, "The request app was not found")
	}
	s.svc().apps[c.vars["app"]] = true
	return ok(obj{})
}

// inGroupOf reports whether account u is a member of group gid.
func (s *Simulator) inGroupOf(u *user, gid string) bool {
	g := s.groups[strings.ToLower(gid)]
	return g != nil && g.members[u.id]
}

// ServiceState is a snapshot of the service objects, for tests and the
// state page.
type ServiceState struct {
	Calendars    []Collection
	AddressBooks []Collection
	Teams        []Team
	Boards       []Board
	Rooms        []Room
}

// Collection is a calendar or an address book.
type Collection struct {
	Owner, URI, DisplayName string
	Deleted                 bool
	Shares                  map[string]bool // principal → read-write
}

// Team is a team with its members ("group:gid" or "user:uid").
type Team struct {
	ID, Name, Owner string
	Members         []string
}

// Board is a Deck board with its ACL ("group:gid" or "user:uid" → edit,
// share, manage as "e", "s", "m").
type Board struct {
	ID      int
	Title   string
	Owner   string
	Deleted bool
	ACL     map[string]string
}

// Room is a Talk conversation.
type Room struct {
	Token, Name, Owner string
	Groups             []string
}

// Services returns a snapshot of the service objects.
func (s *Simulator) Services() ServiceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.svc()
	var st ServiceState
	snap := func(m map[string]*davCollection) []Collection {
		var out []Collection
		for _, c := range m {
			col := Collection{Owner: c.owner, URI: c.uri, DisplayName: c.displayName, Deleted: c.deleted, Shares: map[string]bool{}}
			for _, sh := range c.shares {
				col.Shares[sh.principal] = sh.readWrite
			}
			out = append(out, col)
		}
		slices.SortFunc(out, func(a, b Collection) int { return strings.Compare(a.Owner+"/"+a.URI, b.Owner+"/"+b.URI) })
		return out
	}
	st.Calendars, st.AddressBooks = snap(v.calendars), snap(v.books)
	for _, t := range v.teams {
		tt := Team{ID: t.id, Name: t.name, Owner: t.owner}
		for _, m := range t.members {
			tt.Members = append(tt.Members, m.key())
		}
		st.Teams = append(st.Teams, tt)
	}
	for _, b := range v.boards {
		bb := Board{ID: b.id, Title: b.title, Owner: b.owner, Deleted: b.deletedAt > 0, ACL: map[string]string{}}
		for _, a := range b.acl {
			perm := ""
			if a.edit {
				perm += "e"
			}
			if a.share {
				perm += "s"
			}
			if a.manage {
				perm += "m"
			}
			bb.ACL[aclKey(a.typ, a.participant)] = perm
		}
		st.Boards = append(st.Boards, bb)
	}
	for _, r := range v.rooms {
		st.Rooms = append(st.Rooms, Room{Token: r.token, Name: r.name, Owner: r.owner, Groups: slices.Clone(r.groups)})
	}
	return st
}
