package simulator

import (
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// msgDAVNoAuth is what Nextcloud 34's DAV server says to a request without
// valid credentials (B0-dav-wrong-password, 2B-mkcalendar-no-auth).
const msgDAVNoAuth = "No public access to this resource., AppAPIAuth has not passed, This request is not for a federated calendar, No 'Authorization: Basic' header found. Either the client didn't send one, or the server is misconfigured, No 'Authorization: Bearer' header found. Either the client didn't send one, or the server is mis-configured, No 'Authorization: Basic' header found. Either the client didn't send one, or the server is misconfigured"

// davCollection is a calendar or an address book.
type davCollection struct {
	owner       string // canonical account id
	uri         string
	displayName string
	color       string
	description string
	deleted     bool // calendars only: in the trash bin
	deletedAt   time.Time
	shares      []davShare
	objects     map[string]davObject
	ctag        int
}

type davShare struct {
	principal string // "principals/groups/asso-test"
	readWrite bool
}

type davObject struct {
	data []byte
	etag string
}

// davTree is the calendars or the address books tree.
type davTree struct {
	calendar bool
	prefix   string
	kind     string // "Calendar" or "Addressbook", as Sabre names them
	mkMethod string
	davHdr   string
}

var (
	calendarTree = &davTree{calendar: true, prefix: davCalendarsPrefix, kind: "Calendar", mkMethod: "MKCALENDAR",
		davHdr: "1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, oc-resource-sharing, calendar-access, calendar-proxy, calendar-auto-schedule, calendar-availability, nc-calendar-trashbin, nc-calendar-webcal-cache, calendarserver-subscribed, oc-calendar-publishing, calendarserver-sharing, nc-paginate, nextcloud-checksum-update, nc-calendar-search, nc-enable-birthday-calendar, 2"}
)

func (t *davTree) all(s *Simulator) map[string]*davCollection {
	if t.calendar {
		return s.svc().calendars
	}
	return s.svc().books
}

func collectionKey(owner, uri string) string { return strings.ToLower(owner) + "/" + uri }

// missing is Sabre's message for a collection that is not there: calendars
// are looked up as plain nodes, address books by name.
func (t *davTree) missing(name string) string {
	if t.calendar {
		return "Node with name '" + name + "' could not be found"
	}
	return "Addressbook with name '" + name + "' could not be found"
}

// access returns the share through which account u reaches c, if any.
// Callers hold s.mu.
func (s *Simulator) access(c *davCollection, u *user) (davShare, bool) {
	for _, sh := range c.shares {
		if s.principalHas(sh.principal, u) {
			return sh, true
		}
	}
	return davShare{}, false
}

// principalHas reports whether principal p includes account u.
func (s *Simulator) principalHas(p string, u *user) bool {
	kind, id, _ := strings.Cut(strings.TrimPrefix(p, "principals/"), "/")
	id, _ = url.PathUnescape(id)
	switch kind {
	case "users":
		return strings.EqualFold(id, u.id)
	case "groups":
		return s.inGroupOf(u, id)
	case "circles":
		t := s.teamByID(id)
		return t != nil && s.teamHas(t, u)
	}
	return false
}

// principalVisible reports whether account by may share with principal p:
// it must exist, and a team must be one by belongs to.
func (s *Simulator) principalVisible(p string, by *user) bool {
	kind, id, _ := strings.Cut(strings.TrimPrefix(p, "principals/"), "/")
	id, _ = url.PathUnescape(id)
	switch kind {
	case "users":
		return s.user(id) != nil
	case "groups":
		return s.groups[strings.ToLower(id)] != nil
	case "circles":
		t := s.teamByID(id)
		return t != nil && s.teamHas(t, by)
	}
	return false
}

// serveCollections answers /remote.php/dav/calendars/… and
// /remote.php/dav/addressbooks/users/….
func (s *Simulator) serveCollections(w http.ResponseWriter, r *http.Request, t *davTree, segs []string) {
	if !s.throttle(r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxUpload))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maintenance {
		w.Header().Set("X-Nextcloud-Maintenance-Mode", "1")
		davError(w, http.StatusServiceUnavailable, "ServiceUnavailable", msgServiceUnavail)
		return
	}
	ss := s.authenticate(w, r)
	if ss.throttled {
		davError(w, http.StatusTooManyRequests, "TooManyRequests", "too many requests")
		return
	}
	if ss.user == nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="Nextcloud", charset="UTF-8"`)
		davError(w, http.StatusUnauthorized, "NotAuthenticated", msgDAVNoAuth)
		return
	}
	w.Header().Set("DAV", t.davHdr)
	if !s.appOn("dav") {
		http.NotFound(w, r)
		return
	}
	u := ss.user
	if len(segs) == 0 {
		davError(w, http.StatusNotImplemented, "NotImplemented", "There was no plugin in the system that was willing to handle this "+r.Method+" method.")
		return
	}
	if !strings.EqualFold(segs[0], u.id) {
		// Another account's home is not a node the caller can see.
		davError(w, http.StatusNotFound, "NotFound", "Node with name '"+segs[0]+"' could not be found")
		return
	}
	if len(segs) == 1 {
		if r.Method == "PROPFIND" {
			s.propfindHome(w, t, u, r.Header.Get("Depth"))
			return
		}
		davError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The resource you tried to create already exists")
		return
	}
	name := segs[1]
	own := t.all(s)[collectionKey(u.id, name)]
	var shared *davCollection
	var share davShare
	if own == nil {
		if uri, owner, ok := strings.Cut(name, "_shared_by_"); ok {
			if c := t.all(s)[collectionKey(owner, uri)]; c != nil && !s.svc().hidden[strings.ToLower(u.id)+"/"+collectionKey(owner, uri)] {
				if sh, ok := s.access(c, u); ok {
					shared, share = c, sh
				}
			}
		}
	}
	if len(segs) == 3 {
		c := own
		writable := own != nil && !own.deleted
		if shared != nil {
			c, writable = shared, share.readWrite
		}
		s.serveDAVObject(w, r, t, c, name, segs[2], writable, body)
		return
	}
	if len(segs) > 3 {
		davError(w, http.StatusNotFound, "NotFound", "File not found: "+segs[len(segs)-1])
		return
	}
	switch r.Method {
	case "PROPFIND":
		c := own
		if c == nil {
			c = shared
		}
		if c == nil {
			davError(w, http.StatusNotFound, "NotFound", t.missing(name))
			return
		}
		w.Header().Set("Vary", "Brief,Prefer")
		writeMultistatus(w, []string{s.collectionResponse(t, c, u, name)})
	case t.mkMethod:
		s.makeCollection(w, t, u, name, own, body)
	case "POST":
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/xml" && ct != "text/xml" {
			davError(w, http.StatusNotImplemented, "NotImplemented", "There was no plugin in the system that was willing to handle this POST method.")
			return
		}
		switch {
		case shared != nil:
			// A sharee, even read-write, cannot share further.
			davError(w, http.StatusForbidden, "Forbidden", "")
		case own == nil:
			davError(w, http.StatusNotFound, "NotFound", t.missing(name))
		default:
			s.shareCollection(w, own, u, body)
		}
	case "DELETE":
		switch {
		case shared != nil:
			s.svc().hidden[strings.ToLower(u.id)+"/"+collectionKey(shared.owner, shared.uri)] = true
			w.WriteHeader(http.StatusNoContent)
		case own == nil:
			davError(w, http.StatusNotFound, "NotFound", t.missing(name))
		case t.calendar && r.Header.Get("X-NC-CalDAV-No-Trashbin") != "1":
			if !own.deleted {
				own.deleted, own.deletedAt = true, s.now().UTC()
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			delete(t.all(s), collectionKey(own.owner, own.uri))
			w.WriteHeader(http.StatusNoContent)
		}
	case "MOVE":
		dest := r.Header.Get("Destination")
		if !t.calendar || own == nil || !strings.HasSuffix(dest, "/trashbin/restore/"+url.PathEscape(name)) {
			davError(w, http.StatusForbidden, "Forbidden", "Permission denied to rename this calendar")
			return
		}
		own.deleted, own.deletedAt = false, time.Time{}
		w.WriteHeader(http.StatusCreated)
	default:
		davError(w, http.StatusNotImplemented, "NotImplemented", "There was no plugin in the system that was willing to handle this "+r.Method+" method.")
	}
}

// makeCollection answers MKCALENDAR and MKCOL on a collection's URL.
func (s *Simulator) makeCollection(w http.ResponseWriter, t *davTree, u *user, name string, own *davCollection, body []byte) {
	if strings.HasPrefix(name, "app-generated--") {
		davError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The resource you tried to create has a reserved name")
		return
	}
	if own != nil {
		davError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", msgExists)
		return
	}
	var req struct {
		Set struct {
			Prop struct {
				DisplayName  string `xml:"DAV: displayname"`
				Color        string `xml:"http://apple.com/ns/ical/ calendar-color"`
				Description  string `xml:"urn:ietf:params:xml:ns:carddav addressbook-description"`
				ResourceType struct {
					Book *struct{} `xml:"urn:ietf:params:xml:ns:carddav addressbook"`
				} `xml:"DAV: resourcetype"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: set"`
	}
	if len(body) > 0 {
		if err := xml.Unmarshal(body, &req); err != nil {
			davError(w, http.StatusBadRequest, "BadRequest", "The request body had an invalid XML body")
			return
		}
	}
	p := req.Set.Prop
	if !t.calendar && p.ResourceType.Book == nil {
		davError(w, http.StatusForbidden, "Forbidden", "Unknown resourceType for this collection")
		return
	}
	c := &davCollection{owner: u.id, uri: name, displayName: p.DisplayName, color: p.Color, description: p.Description,
		objects: map[string]davObject{}}
	if c.displayName == "" {
		c.displayName = name
	}
	s.svc().ctag++
	c.ctag = 1
	t.all(s)[collectionKey(u.id, name)] = c
	w.WriteHeader(http.StatusCreated)
}

// shareCollection applies an <o:share> request. Principals that do not
// exist, or that the sharing account cannot see, are skipped in silence,
// as Nextcloud does.
func (s *Simulator) shareCollection(w http.ResponseWriter, c *davCollection, u *user, body []byte) {
	var req struct {
		XMLName xml.Name `xml:"http://owncloud.org/ns share"`
		Set     []struct {
			Href      string    `xml:"DAV: href"`
			ReadWrite *struct{} `xml:"http://owncloud.org/ns read-write"`
		} `xml:"http://owncloud.org/ns set"`
		Remove []struct {
			Href string `xml:"DAV: href"`
		} `xml:"http://owncloud.org/ns remove"`
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		davError(w, http.StatusBadRequest, "BadRequest", "The request body had an invalid XML body")
		return
	}
	if len(req.Set) == 0 && len(req.Remove) == 0 {
		davError(w, http.StatusBadRequest, "BadRequest", "{http://owncloud.org/ns}share needs at least one set or remove element")
		return
	}
	drop := func(p string) {
		kept := c.shares[:0]
		for _, sh := range c.shares {
			if !strings.EqualFold(sh.principal, p) {
				kept = append(kept, sh)
			}
		}
		c.shares = kept
	}
	for _, set := range req.Set {
		p := strings.TrimPrefix(strings.TrimSpace(set.Href), "principal:")
		if !s.principalVisible(p, u) {
			continue
		}
		// Nextcloud deletes and re-inserts: a repeat changes the access.
		drop(p)
		c.shares = append(c.shares, davShare{principal: p, readWrite: set.ReadWrite != nil})
	}
	for _, rm := range req.Remove {
		drop(strings.TrimPrefix(strings.TrimSpace(rm.Href), "principal:"))
	}
	w.Header().Set("X-Sabre-Status", "everything-went-well")
	w.WriteHeader(http.StatusOK)
}

// serveDAVObject answers PUT, GET and DELETE of an event or a contact.
func (s *Simulator) serveDAVObject(w http.ResponseWriter, r *http.Request, t *davTree, c *davCollection, name, obj string, writable bool, body []byte) {
	if c == nil || (c.deleted && r.Method != "GET") {
		davError(w, http.StatusNotFound, "NotFound", t.missing(name))
		return
	}
	switch r.Method {
	case "GET":
		o, found := c.objects[obj]
		if !found {
			davError(w, http.StatusNotFound, "NotFound", "Calendar object not found")
			return
		}
		ct := "text/calendar; charset=utf-8"
		if !t.calendar {
			ct = "text/vcard; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("ETag", o.etag)
		w.Write(o.data)
	case "PUT":
		if !writable {
			// A read-only share is not found for writing (not 403).
			davError(w, http.StatusNotFound, "NotFound", t.kind+" with name '"+name+"' could not be found")
			return
		}
		_, exists := c.objects[obj]
		if exists && r.Header.Get("If-None-Match") == "*" {
			davError(w, http.StatusPreconditionFailed, "PreconditionFailed", "An If-None-Match header was specified, but the ETag matched (or * was specified).")
			return
		}
		s.etagSeq++
		etag := fmt.Sprintf(`"%x"`, s.etagSeq)
		c.objects[obj] = davObject{data: body, etag: etag}
		c.ctag++
		w.Header().Set("ETag", etag)
		if exists {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusCreated)
	case "DELETE":
		if !writable {
			davError(w, http.StatusForbidden, "Forbidden", "Permission denied")
			return
		}
		if _, found := c.objects[obj]; !found {
			davError(w, http.StatusNotFound, "NotFound", "Calendar object not found")
			return
		}
		delete(c.objects, obj)
		c.ctag++
		w.WriteHeader(http.StatusNoContent)
	default:
		davError(w, http.StatusNotImplemented, "NotImplemented", "There was no plugin in the system that was willing to handle this "+r.Method+" method.")
	}
}

// writeMultistatus writes a 207 answer from ready-made <d:response>s.
func writeMultistatus(w http.ResponseWriter, responses []string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	io.WriteString(w, `<?xml version="1.0"?>`+"\n"+`<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">`)
	for _, r := range responses {
		io.WriteString(w, r)
	}
	io.WriteString(w, "</d:multistatus>")
}

// collectionResponse is one <d:response> for a collection as account u
// sees it under name (its own uri, or "uri_shared_by_owner").
func (s *Simulator) collectionResponse(t *davTree, c *davCollection, u *user, name string) string {
	var b strings.Builder
	href := t.prefix + encodeDAVPath(u.id) + "/" + encodeDAVPath(name) + "/"
	b.WriteString("<d:response><d:href>" + xmlText(href) + "</d:href><d:propstat><d:prop><d:resourcetype><d:collection/>")
	switch {
	case c.deleted:
		b.WriteString(`<x1:deleted-calendar xmlns:x1="http://nextcloud.com/ns"/>`)
	case t.calendar:
		b.WriteString("<cal:calendar/>")
	default:
		b.WriteString("<card:addressbook/>")
	}
	b.WriteString("</d:resourcetype>")
	display := c.displayName
	owner := s.users[strings.ToLower(c.owner)]
	if !strings.EqualFold(c.owner, u.id) && owner != nil {
		display += " (" + owner.display() + ")"
	}
	b.WriteString("<d:displayname>" + xmlText(display) + "</d:displayname>")
	if t.calendar {
		b.WriteString(`<x2:calendar-color xmlns:x2="http://apple.com/ns/ical/">` + xmlText(c.color) + `</x2:calendar-color>`)
	}
	if strings.EqualFold(c.owner, u.id) {
		b.WriteString("<oc:invite>")
		for _, sh := range c.shares {
			b.WriteString("<oc:user><d:href>principal:" + xmlText(sh.principal) + "</d:href><oc:common-name>" +
				xmlText(s.principalName(sh.principal)) + "</oc:common-name><oc:invite-accepted/><oc:access>")
			if sh.readWrite {
				b.WriteString("<oc:read-write/>")
			} else {
				b.WriteString("<oc:read/>")
			}
			b.WriteString("</oc:access></oc:user>")
		}
		b.WriteString("</oc:invite>")
	} else {
		b.WriteString("<oc:owner-principal>principals/users/" + xmlText(c.owner) + "</oc:owner-principal>")
	}
	if t.calendar {
		b.WriteString("<cs:getctag>http://sabre.io/ns/sync/" + strconv.Itoa(c.ctag) + "</cs:getctag>")
	} else {
		b.WriteString(`<x1:getctag xmlns:x1="http://calendarserver.org/ns/">` + strconv.Itoa(c.ctag) + `</x1:getctag>`)
	}
	if c.deleted {
		b.WriteString(`<x1:deleted-at xmlns:x1="http://nextcloud.com/ns">` + c.deletedAt.Format(time.RFC3339) + `</x1:deleted-at>`)
	}
	b.WriteString("</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>")
	return b.String()
}

// principalName is a principal's display name, as oc:common-name shows it.
func (s *Simulator) principalName(p string) string {
	kind, id, _ := strings.Cut(strings.TrimPrefix(p, "principals/"), "/")
	id, _ = url.PathUnescape(id)
	switch kind {
	case "users":
		if u := s.user(id); u != nil {
			return u.display()
		}
	case "groups":
		if g := s.groups[strings.ToLower(id)]; g != nil {
			return g.displayName
		}
	case "circles":
		if t := s.teamByID(id); t != nil {
			return t.displayName
		}
	}
	return id
}

// propfindHome lists an account's own and shared collections.
func (s *Simulator) propfindHome(w http.ResponseWriter, t *davTree, u *user, depth string) {
	home := t.prefix + encodeDAVPath(u.id) + "/"
	responses := []string{"<d:response><d:href>" + xmlText(home) + "</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"}
	if depth != "0" {
		var names []string
		byName := map[string]*davCollection{}
		for _, c := range t.all(s) {
			switch {
			case strings.EqualFold(c.owner, u.id):
				names = append(names, c.uri)
				byName[c.uri] = c
			default:
				if _, ok := s.access(c, u); ok && !s.svc().hidden[strings.ToLower(u.id)+"/"+collectionKey(c.owner, c.uri)] {
					n := c.uri + "_shared_by_" + c.owner
					names = append(names, n)
					byName[n] = c
				}
			}
		}
		sort.Strings(names)
		for _, n := range names {
			responses = append(responses, s.collectionResponse(t, byName[n], u, n))
		}
	}
	w.Header().Set("Vary", "Brief,Prefer")
	writeMultistatus(w, responses)
}
