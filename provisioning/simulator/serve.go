package simulator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxUpload bounds a WebDAV upload kept in memory.
const maxUpload = 64 << 20

// ServeHTTP answers like the recorded Nextcloud server. It owns every path it
// is given, keeps no global state and recovers from its own panics, so it can
// be mounted as the whole handler of a dedicated loopback listener.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == statePagePath {
		s.serveStatePage(w, r)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			http.Error(w, fmt.Sprintf("simulator: internal error: %v", v), http.StatusInternalServerError)
		}
	}()
	route := routeName(r)
	s.count(route)
	rule, latency := s.pickFault(route)
	if !sleepCtx(r, latency, s.closed) {
		return
	}
	if rule == nil {
		s.handle(w, r)
		return
	}
	if rule.AfterHandling {
		s.handle(&discardWriter{header: http.Header{}}, r)
	}
	s.applyFault(w, r, *rule)
}

// count records one call on route.
func (s *Simulator) count(route string) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.calls++
	s.routeCalls[route]++
}

// handle dispatches a request to the area of Nextcloud it addresses.
func (s *Simulator) handle(w http.ResponseWriter, r *http.Request) {
	if s.serveServices(w, r) {
		return
	}
	p := r.URL.EscapedPath()
	switch {
	case p == statusPath:
		s.serveStatus(w, r)
	case strings.HasPrefix(p, ocsV1Prefix):
		s.serveOCS(w, r, 1, splitPath(p[len(ocsV1Prefix):]))
	case strings.HasPrefix(p, ocsV2Prefix):
		s.serveOCS(w, r, 2, splitPath(p[len(ocsV2Prefix):]))
	case strings.HasPrefix(p, davFilesPrefix):
		s.serveDAV(w, r, false, splitPath(p[len(davFilesPrefix):]))
	case p == davLegacyPrefix || strings.HasPrefix(p, davLegacyPrefix+"/"):
		s.serveDAV(w, r, true, splitPath(p[len(davLegacyPrefix):]))
	case p == loginConfirmPath && r.Method == http.MethodPost:
		s.serveLoginConfirm(w, r)
	case strings.HasPrefix(p, gfIndexPrefix):
		s.serveGroupFolders(w, r, splitPath(p[len(gfIndexPrefix):]))
	case strings.HasPrefix(p, gfPrefix):
		s.serveGroupFolders(w, r, splitPath(p[len(gfPrefix):]))
	default:
		http.NotFound(w, r)
	}
}

// baseURL is the server's own URL as the caller reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serveStatus answers status.php.
func (s *Simulator) serveStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	maintenance := s.maintenance
	s.mu.Unlock()
	var b bytes.Buffer
	writePHPJSON(&b, obj{
		{"installed", true}, {"maintenance", maintenance}, {"needsDbUpgrade", false},
		{"version", s.opts.Version}, {"versionstring", versionString(s.opts.Version)},
		{"edition", ""}, {"productname", "Nextcloud"}, {"extendedSupport", false},
	})
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.Bytes())
}

// versionString turns "27.1.0.7" into "27.1.0".
func versionString(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, ".")
}

// versionPart returns the i-th number of a version ("27.1.0.7", 1 → 1).
func versionPart(v string, i int) int {
	parts := strings.Split(v, ".")
	if i >= len(parts) {
		return 0
	}
	n, _ := strconv.Atoi(parts[i])
	return n
}

// writeMaintenanceOCS answers an OCS call while maintenance mode is on, like
// ocs/v*.php does: 503 with the legacy envelope.
func writeMaintenanceOCS(w http.ResponseWriter, r *http.Request, ver int) {
	w.Header().Set("X-Nextcloud-Maintenance-Mode", "1")
	f := legacyFormat(r)
	writeBody(w, http.StatusServiceUnavailable, f, ocsBody(f, http.StatusServiceUnavailable, msgServiceUnavail, obj{}, ver == 1))
}

// serveOCS answers /ocs/v1.php and /ocs/v2.php.
func (s *Simulator) serveOCS(w http.ResponseWriter, r *http.Request, ver int, segs []string) {
	if !s.throttle(r) {
		return
	}
	params := parseParams(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maintenance {
		writeMaintenanceOCS(w, r, ver)
		return
	}
	ss := s.authenticate(w, r)
	if ss.throttled {
		writeThrottled(w, r, ver)
		return
	}
	if ss.failed {
		s.writeWrongCredentials(w, r, ver)
		return
	}
	if ss.cookie && r.Header.Get("OCS-APIRequest") != "true" {
		// A browser session needs a CSRF proof; the same-site cookies come first.
		if !hasStrictCookie(r) {
			setSameSiteCookies(w)
			writeJSONField(w, http.StatusPreconditionFailed, "error", msgStrictCookie)
			return
		}
		writePlainJSON(w, http.StatusPreconditionFailed, msgCSRF)
		return
	}
	var route *ocsRoute
	var vars map[string]string
	pathMatched := false
	for i := range ocsRoutes {
		v, ok := matchPattern(ocsRoutes[i].pattern, segs)
		if !ok {
			continue
		}
		pathMatched = true
		if ocsRoutes[i].method == r.Method {
			route, vars = &ocsRoutes[i], v
			break
		}
	}
	if route == nil {
		if pathMatched {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		// The legacy responder maps 998 to 404 in the v2 meta as well.
		f, code := legacyFormat(r), ocsNotFound
		if ver == 2 && !s.opts.Profile.NewStatusCodes {
			code = http.StatusNotFound
		}
		writeBody(w, ocsHTTPStatus(ver, ocsNotFound), f, ocsBody(f, code, msgInvalidQuery, obj{}, ver == 1))
		return
	}
	c := &ocsCall{r: r, ver: ver, format: controllerFormat(r, params), params: params, vars: vars,
		user: ss.user, token: ss.token, php: ss.php, baseURL: baseURL(r), prof: &s.opts.Profile}
	if route.access != public && c.user == nil {
		writeOCS(w, ver, c.format, fail(ocsUnauthorised, msgNotLoggedIn))
		return
	}
	if route.access == adminOnly && !s.isAdmin(c.user) {
		writeOCS(w, ver, c.format, fail(http.StatusForbidden, c.tr(msgMustBeAdmin)))
		return
	}
	if route.csrf && r.Header.Get("OCS-APIRequest") != "true" {
		writePlainJSON(w, http.StatusPreconditionFailed, msgCSRF)
		return
	}
	if route.access == subadminOnly && !s.isAdmin(c.user) && !s.isSubadmin(c.user) {
		writeOCS(w, ver, c.format, fail(http.StatusForbidden, msgMustBeSubadmin))
		return
	}
	if route.confirm() && !ss.confirmed {
		writeOCS(w, ver, c.format, fail(http.StatusForbidden, msgConfirmationRequired))
		return
	}
	res := route.handle(s, c)
	res.msg = c.tr(res.msg)
	writeOCS(w, ver, c.format, res)
}

// serveGroupFolders answers the groupfolders app routes. They are not OCS
// routes: they need OCS-APIRequest (else 412) and answer with the v1
// envelope, HTTP 200 even for errors.
func (s *Simulator) serveGroupFolders(w http.ResponseWriter, r *http.Request, segs []string) {
	if !s.throttle(r) {
		return
	}
	params := parseParams(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maintenance {
		w.Header().Set("X-Nextcloud-Maintenance-Mode", "1")
		w.Header().Set("Retry-After", "120")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Nextcloud</title></head><body><h2>Maintenance mode</h2><p>This Nextcloud instance is currently in maintenance mode, which may take a while.</p></body></html>\n")
		return
	}
	if s.opts.DisableGroupFolders {
		http.NotFound(w, r)
		return
	}
	ss := s.authenticate(w, r)
	if ss.throttled {
		writePlainJSON(w, http.StatusTooManyRequests, msgMaxDelay)
		return
	}
	var route *gfRoute
	var vars map[string]string
	for i := range gfRoutes {
		if v, ok := matchPattern(gfRoutes[i].pattern, segs); ok && gfRoutes[i].method == r.Method {
			route, vars = &gfRoutes[i], v
			break
		}
	}
	if route == nil {
		http.NotFound(w, r)
		return
	}
	if ss.user == nil {
		writePlainJSON(w, http.StatusUnauthorized, msgNotLoggedIn)
		return
	}
	if !s.isAdmin(ss.user) {
		writePlainJSON(w, http.StatusForbidden, msgMustBeAdmin)
		return
	}
	if r.Header.Get("OCS-APIRequest") != "true" {
		writePlainJSON(w, http.StatusPreconditionFailed, msgCSRF)
		return
	}
	c := &ocsCall{r: r, ver: 1, format: controllerFormat(r, params), params: params, vars: vars, user: ss.user,
		php: ss.php, baseURL: baseURL(r), prof: &s.opts.Profile}
	if r.Method != http.MethodGet && !ss.confirmed {
		writeOCS(w, 1, c.format, fail(http.StatusForbidden, msgConfirmationRequired))
		return
	}
	res := route.handle(s, c)
	if s.opts.Profile.GroupFolderPlainErrors && res.code != ocsOK {
		// groupfolders 22 throws OCSNotFoundException and friends from a
		// plain controller: {"message":…} with the HTTP status, no envelope.
		msg := res.msg
		if res.code == http.StatusNotFound && msg == "" {
			msg = msgFolderNotFound
		}
		writePlainJSON(w, res.code, msg)
		return
	}
	writeOCS(w, 1, c.format, res)
}

// discardWriter swallows a response; used when a fault replaces the answer
// after the call has been handled.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// serveLoginConfirm answers POST /index.php/login/confirm (password=…): the
// web interface's password confirmation, which also works in an API session.
func (s *Simulator) serveLoginConfirm(w http.ResponseWriter, r *http.Request) {
	params := parseParams(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.authenticate(w, r)
	if ss.user == nil {
		writePlainJSON(w, http.StatusUnauthorized, msgNotLoggedIn)
		return
	}
	var pw string
	if v := params["password"]; len(v) > 0 {
		pw = v[0]
	}
	if !s.confirmPassword(ss.user, ss.php, pw) {
		w.Header().Set("Content-Type", contentTypeJSON)
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "[]")
		return
	}
	var b bytes.Buffer
	writePHPJSON(&b, obj{{"lastLogin", s.now().Unix()}})
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Write(b.Bytes())
}

// writeThrottled answers a login refused by the blocking brute-force
// protection: 429 (HTTP 200 on OCS v1) with statuscode 429, no Retry-After.
func writeThrottled(w http.ResponseWriter, r *http.Request, ver int) {
	f := legacyFormat(r)
	status := http.StatusTooManyRequests
	if ver == 1 {
		status = http.StatusOK
	}
	writeBody(w, status, f, ocsBody(f, http.StatusTooManyRequests, msgMaxDelay, obj{}, ver == 1))
}
