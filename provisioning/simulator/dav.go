package simulator

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// WebDAV constants of the recorded server.
const (
	instanceID     = "ocarchipel01"
	davHeaderNew   = "1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, nextcloud-checksum-update, nc-calendar-search, nc-enable-birthday-calendar"
	davHeaderOld   = "1, 3, extended-mkcol, nextcloud-checksum-update"
	davAllow       = "OPTIONS, GET, HEAD, DELETE, PROPFIND, PUT, PROPPATCH, COPY, MOVE, REPORT"
	nsDAV          = "DAV:"
	nsOC           = "http://owncloud.org/ns"
	nsNC           = "http://nextcloud.org/ns"
	msgNoHeader    = "No public access to this resource., No 'Authorization: Basic' header found. Either the client didn't send one, or the server is misconfigured, No 'Authorization: Bearer' header found. Either the client didn't send one, or the server is mis-configured, No 'Authorization: Basic' header found. Either the client didn't send one, or the server is misconfigured"
	msgBadPassword = "No public access to this resource., Username or password was incorrect, No 'Authorization: Bearer' header found. Either the client didn't send one, or the server is mis-configured, Username or password was incorrect"
	msgExists      = "The resource you tried to create already exists"
)

// davPrefixes are the namespace prefixes Nextcloud declares on multistatus.
var davPrefixes = map[string]string{nsDAV: "d", "http://sabredav.org/ns": "s", nsOC: "oc", nsNC: "nc"}

// davError writes a Sabre error document.
func davError(w http.ResponseWriter, status int, exception, message string) {
	body := "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">\n" +
		"  <s:exception>Sabre\\DAV\\Exception\\" + exception + "</s:exception>\n" +
		"  <s:message>" + xmlText(message) + "</s:message>\n</d:error>\n"
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// encodeDAVPath percent-encodes a path like Sabre\HTTP\encodePath.
func encodeDAVPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.~()/:@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// davRequest is a WebDAV call on one user's tree.
type davRequest struct {
	w       http.ResponseWriter
	r       *http.Request
	caller  *user
	owner   string // the user named in the URL (differs from caller for a foreign home)
	foreign bool
	comps   []string
	base    string // href of the tree root, without trailing slash
	legacy  bool
	newHome bool // the home was created by this call's login
}

// href is the escaped href of comps under the tree root.
func (d *davRequest) href(comps []string, dir bool) string {
	h := d.base + "/" + encodeDAVPath(strings.Join(comps, "/"))
	if dir && len(comps) > 0 {
		h += "/"
	}
	return h
}

// serveDAV answers /remote.php/dav/files/{user}/… and /remote.php/webdav/….
func (s *Simulator) serveDAV(w http.ResponseWriter, r *http.Request, legacy bool, segs []string) {
	if !s.throttle(r) {
		return
	}
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
	if ss.cookie && !hasStrictCookie(r) {
		setSameSiteCookies(w)
		writeJSONField(w, http.StatusPreconditionFailed, "error", msgStrictCookie)
		return
	}
	if ss.user == nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="Nextcloud", charset="UTF-8"`)
		msg := msgNoHeader
		if ss.sent {
			msg = msgBadPassword
		}
		davError(w, http.StatusUnauthorized, "NotAuthenticated", msg)
		return
	}
	if errors.Is(ss.homeErr, errSkeleton) {
		davError(w, http.StatusServiceUnavailable, "ServiceUnavailable", ss.homeErr.Error())
		return
	}
	d := &davRequest{w: w, r: r, caller: ss.user, legacy: legacy, owner: ss.user.id, newHome: ss.newHome}
	hdr := davHeaderNew
	if legacy {
		hdr = davHeaderOld
		d.base, d.comps = "/remote.php/webdav", segs
	} else {
		if len(segs) == 0 {
			davError(w, http.StatusNotImplemented, "NotImplemented", "There was no plugin in the system that was willing to handle this "+r.Method+" method.")
			return
		}
		d.base, d.comps, d.owner = davFilesPrefix+encodeDAVPath(segs[0]), segs[1:], segs[0]
		target := s.user(segs[0])
		if target == nil {
			davError(w, http.StatusNotFound, "NotFound", "Principal with name "+segs[0]+" not found")
			return
		}
		d.foreign = target.id != ss.user.id
	}
	for _, c := range d.comps {
		if c == "." || c == ".." {
			davError(w, http.StatusBadRequest, "BadRequest", "Invalid path")
			return
		}
	}
	switch r.Method {
	case "PROPFIND":
		w.Header().Set("Vary", "Brief,Prefer")
		w.Header().Set("DAV", hdr)
		s.propfind(d)
	case "MKCOL":
		s.mkcol(d)
	case "PUT":
		s.put(d)
	case "GET", "HEAD":
		s.get(d)
	case "DELETE":
		s.davDelete(d)
	case "OPTIONS":
		w.Header().Set("DAV", hdr)
		w.Header().Set("Allow", davAllow)
		w.WriteHeader(http.StatusOK)
	default:
		davError(w, http.StatusNotImplemented, "NotImplemented", "There was no plugin in the system that was willing to handle this "+r.Method+" method.")
	}
}

// foreignChildMissing answers a request below another user's home, which
// Nextcloud shows as an empty collection.
func (d *davRequest) foreignChildMissing() {
	davError(d.w, http.StatusNotFound, "NotFound", "File not found: "+d.comps[0]+" in '"+d.owner+"'")
}

// propName is a property asked for in a PROPFIND body.
type propName struct{ space, local string }

// parsePropfind returns the properties a PROPFIND body asks for; all is true
// for an empty body or <allprop/>.
func parsePropfind(body []byte) (props []propName, all bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, true
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	depth, propDepth := 0, -1
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case propDepth >= 0 && depth == propDepth+1:
				props = append(props, propName{t.Name.Space, t.Name.Local})
			case t.Name.Space == nsDAV && t.Name.Local == "prop":
				propDepth = depth
			case t.Name.Space == nsDAV && t.Name.Local == "allprop":
				return nil, true
			}
		case xml.EndElement:
			if depth == propDepth {
				propDepth = -1
			}
			depth--
		}
	}
	if props == nil {
		return nil, true
	}
	return props, false
}

// davEntry is one resource in a multistatus answer.
type davEntry struct {
	href    string
	n       *node
	perms   int
	space   space
	mnt     *mount
	foreign bool // the placeholder for another user's home
	// unsized reports quota-used-bytes 0: on the call that created a home,
	// the recorded server had not yet counted the skeleton.
	unsized bool
}

var (
	defaultDirProps  = []propName{{nsDAV, "getlastmodified"}, {nsDAV, "resourcetype"}, {nsDAV, "quota-used-bytes"}, {nsDAV, "quota-available-bytes"}, {nsDAV, "getetag"}}
	defaultFileProps = []propName{{nsDAV, "getlastmodified"}, {nsDAV, "getcontentlength"}, {nsDAV, "resourcetype"}, {nsDAV, "getetag"}, {nsDAV, "getcontenttype"}}
)

// propValue renders one property of e as XML, or reports it is not found.
func propValue(e davEntry, p propName) (string, bool) {
	tag := func(inner string) string {
		pre := davPrefixes[p.space]
		if inner == "" {
			return "<" + pre + ":" + p.local + "/>"
		}
		return "<" + pre + ":" + p.local + ">" + inner + "</" + pre + ":" + p.local + ">"
	}
	dir := e.foreign || e.n.dir
	if p.space == nsDAV && p.local == "resourcetype" {
		if dir {
			return tag("<d:collection/>"), true
		}
		return tag(""), true
	}
	if e.foreign {
		return "", false
	}
	n := e.n
	switch p.space + " " + p.local {
	case nsDAV + " getlastmodified":
		return tag(n.mtime.UTC().Format(http.TimeFormat)), true
	case nsDAV + " getetag":
		return tag("&quot;" + n.etag + "&quot;"), true
	case nsDAV + " getcontentlength":
		if !dir {
			return tag(strconv.FormatInt(n.size(), 10)), true
		}
	case nsDAV + " getcontenttype":
		if !dir {
			return tag(mimeType(n.name)), true
		}
	case nsDAV + " quota-used-bytes":
		if dir && e.unsized {
			return tag("0"), true
		}
		if dir {
			return tag(strconv.FormatInt(n.size(), 10)), true
		}
	case nsDAV + " quota-available-bytes":
		if dir {
			return tag(strconv.FormatInt(e.space.free(), 10)), true
		}
	case nsOC + " size":
		return tag(strconv.FormatInt(n.size(), 10)), true
	case nsOC + " fileid":
		return tag(strconv.FormatInt(n.id, 10)), true
	case nsOC + " id":
		return tag(fmt.Sprintf("%08d%s", n.id, instanceID)), true
	case nsOC + " permissions":
		return tag(permString(e.perms, dir, e.mnt)), true
	}
	return "", false
}

// emptyProp renders a property in a 404 propstat.
func emptyProp(p propName, unknownNS map[string]string) string {
	if pre, ok := davPrefixes[p.space]; ok {
		return "<" + pre + ":" + p.local + "/>"
	}
	pre, ok := unknownNS[p.space]
	if !ok {
		pre = fmt.Sprintf("x%d", len(unknownNS)+1)
		unknownNS[p.space] = pre
	}
	return "<" + pre + ":" + p.local + " xmlns:" + pre + "=\"" + xmlText(p.space) + "\"/>"
}

// writeResponse renders one <d:response>.
func writeResponse(b *bytes.Buffer, e davEntry, props []propName, all bool) {
	if all {
		switch {
		case e.foreign:
			props = []propName{{nsDAV, "resourcetype"}}
		case e.n.dir:
			props = defaultDirProps
		default:
			props = defaultFileProps
		}
	}
	var found, missing strings.Builder
	unknownNS := map[string]string{}
	for _, p := range props {
		if v, ok := propValue(e, p); ok {
			found.WriteString(v)
		} else {
			missing.WriteString(emptyProp(p, unknownNS))
		}
	}
	b.WriteString("<d:response><d:href>" + xmlText(e.href) + "</d:href>")
	if found.Len() > 0 {
		b.WriteString("<d:propstat><d:prop>" + found.String() + "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>")
	}
	if missing.Len() > 0 {
		b.WriteString("<d:propstat><d:prop>" + missing.String() + "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>")
	}
	b.WriteString("</d:response>")
}

// propfind answers PROPFIND with depth 0 or 1 (infinity is served as 1).
func (s *Simulator) propfind(d *davRequest) {
	body, _ := io.ReadAll(io.LimitReader(d.r.Body, 1<<20))
	props, all := parsePropfind(body)
	var entries []davEntry
	depth1 := d.r.Header.Get("Depth") != "0"
	if d.foreign {
		if len(d.comps) > 0 {
			d.foreignChildMissing()
			return
		}
		entries = append(entries, davEntry{href: d.base + "/", foreign: true})
	} else {
		pl := s.resolve(d.caller, d.comps)
		if pl.node == nil {
			davError(d.w, http.StatusNotFound, "NotFound", "File with name "+pl.missing+" could not be located")
			return
		}
		entries = append(entries, davEntry{href: d.href(d.comps, pl.node.dir), n: pl.node, perms: pl.perms, space: pl.space(), mnt: pl.mnt,
			unsized: d.newHome && pl.node == d.caller.home})
		if depth1 && pl.node.dir {
			entries = append(entries, s.children(d, pl)...)
		}
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">`)
	for _, e := range entries {
		writeResponse(&b, e, props, all)
	}
	b.WriteString("</d:multistatus>\n")
	d.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	d.w.WriteHeader(http.StatusMultiStatus)
	d.w.Write(b.Bytes())
}

// children lists a folder's entries; the home root also lists group folders
// and shares after the user's own files.
func (s *Simulator) children(d *davRequest, pl place) []davEntry {
	var out []davEntry
	sp := pl.space()
	var mounts []mount
	if pl.node == d.caller.home {
		mounts = s.mounts(d.caller)
	}
	shadowed := map[string]bool{}
	for _, m := range mounts {
		shadowed[m.name] = true
	}
	for _, c := range pl.node.sortedChildren() {
		if shadowed[c.name] {
			continue
		}
		comps := append(append([]string{}, d.comps...), c.name)
		out = append(out, davEntry{href: d.href(comps, c.dir), n: c, perms: pl.perms, space: sp})
	}
	for _, m := range mounts {
		m := m
		out = append(out, davEntry{href: d.href([]string{m.name}, m.node.dir), n: m.node, perms: m.perms, space: m.space(), mnt: &m})
	}
	return out
}

// mkcol answers MKCOL: 201, 405 when the resource exists, 409 when the
// parent is missing.
func (s *Simulator) mkcol(d *davRequest) {
	if d.foreign {
		switch len(d.comps) {
		case 0:
			d.w.Header().Set("Allow", davAllow)
			davError(d.w, http.StatusMethodNotAllowed, "MethodNotAllowed", msgExists)
		case 1:
			davError(d.w, http.StatusForbidden, "Forbidden", "Permission denied to create directory")
		default:
			davError(d.w, http.StatusConflict, "Conflict", "Parent node does not exist")
		}
		return
	}
	pl := s.resolve(d.caller, d.comps)
	switch {
	case pl.node != nil:
		d.w.Header().Set("Allow", davAllow)
		davError(d.w, http.StatusMethodNotAllowed, "MethodNotAllowed", msgExists)
	case pl.deep:
		davError(d.w, http.StatusConflict, "Conflict", "Parent node does not exist")
	case pl.notDir:
		davError(d.w, http.StatusConflict, "Conflict", "Parent node is not a collection")
	case pl.perms&permCreate == 0:
		davError(d.w, http.StatusForbidden, "Forbidden", "Permission denied")
	default:
		n := s.newNode(pl.name, true, pl.parent)
		d.w.Header().Set("OC-FileId", fmt.Sprintf("%08d%s", n.id, instanceID))
		d.w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		d.w.Header().Set("Content-Length", "0")
		d.w.WriteHeader(http.StatusCreated)
	}
}

// put answers PUT: 201 new, 204 overwrite, 404 into a missing folder, 507
// over quota.
func (s *Simulator) put(d *davRequest) {
	if d.foreign {
		switch len(d.comps) {
		case 0:
			davError(d.w, http.StatusConflict, "Conflict", "PUT is not allowed on non-files.")
		case 1:
			davError(d.w, http.StatusForbidden, "Forbidden", "Permission denied to create file (filename "+d.comps[0]+")")
		default:
			d.foreignChildMissing()
		}
		return
	}
	pl := s.resolve(d.caller, d.comps)
	switch {
	case len(d.comps) == 0 || (pl.node != nil && pl.node.dir):
		davError(d.w, http.StatusConflict, "Conflict", "PUT is not allowed on non-files.")
		return
	case pl.notDir:
		davError(d.w, http.StatusConflict, "Conflict", "Files can only be created as children of collections")
		return
	case pl.deep:
		davError(d.w, http.StatusNotFound, "NotFound", "File with name "+pl.missing+" could not be located")
		return
	case pl.node == nil && pl.perms&permCreate == 0, pl.node != nil && pl.perms&permUpdate == 0:
		davError(d.w, http.StatusForbidden, "Forbidden", "Permission denied")
		return
	}
	data, err := io.ReadAll(io.LimitReader(d.r.Body, maxUpload+1))
	if err != nil {
		davError(d.w, http.StatusBadRequest, "BadRequest", "Could not read the request body")
		return
	}
	if len(data) > maxUpload {
		davError(d.w, http.StatusRequestEntityTooLarge, "Forbidden", "Upload too large for the simulator")
		return
	}
	length := int64(len(data))
	if cl := d.r.Header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil {
			length = n
		}
	}
	if free := pl.space().free(); free != QuotaUnlimited && length > free {
		path := sabrePath(d.comps[:len(d.comps)-1], d.comps[len(d.comps)-1])
		davError(d.w, http.StatusInsufficientStorage, "InsufficientStorage",
			fmt.Sprintf("Insufficient space in %s, %d required, %d available", path, length, free))
		return
	}
	status := http.StatusNoContent
	n := pl.node
	if n == nil {
		n = s.newNode(pl.name, false, pl.parent)
		status = http.StatusCreated
	}
	n.data = data
	s.touch(n)
	h := d.w.Header()
	h.Set("OC-FileId", fmt.Sprintf("%08d%s", n.id, instanceID))
	h.Set("ETag", `"`+n.etag+`"`)
	h.Set("OC-ETag", `"`+n.etag+`"`)
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Content-Length", "0")
	d.w.WriteHeader(status)
}

// get answers GET and HEAD on a file.
func (s *Simulator) get(d *davRequest) {
	if d.foreign {
		if len(d.comps) == 0 {
			davError(d.w, http.StatusNotImplemented, "NotImplemented", "GET is only implemented on File objects")
			return
		}
		d.foreignChildMissing()
		return
	}
	pl := s.resolve(d.caller, d.comps)
	switch {
	case pl.node == nil:
		davError(d.w, http.StatusNotFound, "NotFound", "File with name "+pl.missing+" could not be located")
		return
	case pl.node.dir:
		davError(d.w, http.StatusNotImplemented, "NotImplemented", "GET is only implemented on File objects")
		return
	}
	n := pl.node
	ct := mimeType(n.name)
	if strings.HasPrefix(ct, "text/") {
		ct += ";charset=UTF-8"
	}
	h := d.w.Header()
	h.Set("Content-Type", ct)
	h.Set("Last-Modified", n.mtime.UTC().Format(http.TimeFormat))
	h.Set("ETag", `"`+n.etag+`"`)
	h.Set("OC-ETag", `"`+n.etag+`"`)
	h.Set("Content-Length", strconv.Itoa(len(n.data)))
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(n.name)+`; filename="`+n.name+`"`)
	h.Set("X-Accel-Buffering", "no")
	d.w.WriteHeader(http.StatusOK)
	if d.r.Method != http.MethodHead {
		d.w.Write(n.data)
	}
}

// davDelete answers DELETE: 204, or 404 when missing.
func (s *Simulator) davDelete(d *davRequest) {
	if d.foreign {
		if len(d.comps) == 0 {
			davError(d.w, http.StatusForbidden, "Forbidden", "Permission denied to delete node")
			return
		}
		d.foreignChildMissing()
		return
	}
	pl := s.resolve(d.caller, d.comps)
	switch {
	case pl.node == nil:
		davError(d.w, http.StatusNotFound, "NotFound", "File with name "+pl.missing+" could not be located")
		return
	case len(d.comps) == 0 || pl.mnt != nil || pl.perms&permDelete == 0:
		davError(d.w, http.StatusForbidden, "Forbidden", "Permission denied")
		return
	}
	s.removeShares(pl.node)
	delete(pl.parent.children, pl.node.name)
	s.touch(pl.parent)
	d.w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	d.w.Header().Set("Content-Length", "0")
	d.w.WriteHeader(http.StatusNoContent)
}
