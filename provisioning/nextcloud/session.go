package nextcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Nextcloud 33 and later guard every management write (users, groups,
// sub-admins, group folders) with a password confirmation that an app
// password never gives. With the login password of a dedicated account the
// client therefore logs in once, keeps the session's cookies and sends them
// instead of the password (Basic with the login password costs about 1 s
// per request, a session nothing after its login), confirms the password
// again in that session when the confirmation lapses (30 min 15 s after
// the login, whatever the activity), and logs in again when the session
// ends. See provisioning/testdata/nextcloud/nc34/README.md.

// ConfirmAfter is how long after a login or confirmation the session
// confirms the password again before a management write, a little before
// Nextcloud's window (30 min 15 s) closes, to avoid a refused write.
const ConfirmAfter = 29 * time.Minute

// Session is the login session of one account on one Nextcloud, shared by
// every Client of that host so that the password is verified once, not per
// job: one login or confirmation at a time, the cookies kept in memory only.
// A password the server refused is never sent again by this Session (after
// 10 failures from one address Nextcloud refuses every login for up to 30
// minutes); make a new Session when the password changes.
type Session struct {
	now func() time.Time

	mu             sync.Mutex // held during a login or a confirmation
	cookies        map[string]string
	gen            int // increases with every login
	epoch          int // increases with every login and confirmation
	confirmedAt    time.Time
	refused        *Error
	throttledUntil time.Time
	logins         int
	confirmations  int
}

// NewSession returns an empty session; now is the clock (time.Now when nil).
func NewSession(now func() time.Time) *Session {
	if now == nil {
		now = time.Now
	}
	return &Session{now: now}
}

// SessionStats counts what a Session paid for.
type SessionStats struct {
	// Logins is the number of logins with the password.
	Logins int
	// Confirmations is the number of password confirmations in a kept session.
	Confirmations int
}

// Stats returns the logins and confirmations made so far.
func (s *Session) Stats() SessionStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SessionStats{Logins: s.logins, Confirmations: s.confirmations}
}

// sessionTransport sends a client's requests in its session: cookies
// instead of the password, a login when there is no session, a
// confirmation when a management write needs one.
type sessionTransport struct {
	c    *Client
	s    *Session
	next http.RoundTripper
}

// sameSiteCookies are sent with every session request: WebDAV refuses a
// session request without them (412 "Strict Cookie has not been found").
const sameSiteCookies = "nc_sameSiteCookielax=true; nc_sameSiteCookiestrict=true"

// isManagement reports whether path is guarded by the password
// confirmation when written: the provisioning API's users and groups, the
// group folders app.
func isManagement(path string) bool {
	return strings.Contains(path, "/cloud/users") || strings.Contains(path, "/cloud/groups") ||
		strings.Contains(path, "/apps/groupfolders/")
}

// RoundTrip sends req in the session, logging in first when needed, and
// once more after a lost session or a lapsed confirmation.
func (t *sessionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/status.php") {
		// Public: reading the version must not cost (or risk) a login.
		r := req.Clone(req.Context())
		r.Header.Del("Authorization")
		return t.next.RoundTrip(r)
	}
	ctx := req.Context()
	guarded := req.Method != http.MethodGet && req.Method != http.MethodHead && req.Method != "PROPFIND" &&
		isManagement(req.URL.Path)
	gen, err := t.ensure(ctx, 0)
	if err != nil {
		return nil, err
	}
	if guarded {
		if gen, err = t.confirmIfDue(ctx, gen); err != nil {
			return nil, err
		}
	}
	epoch := t.epoch()
	resp, err := t.send(req, gen)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		// The session ended (expired, revoked, server restarted): log in again.
		discard(resp)
		if gen, err = t.ensure(ctx, gen); err != nil {
			return nil, err
		}
		return t.send(req, gen)
	}
	if guarded && confirmationRefused(resp) {
		if gen, err = t.confirm(ctx, gen, epoch); err != nil {
			return nil, err
		}
		return t.send(req, gen)
	}
	return resp, nil
}

// epoch returns the session's login-and-confirmation count.
func (t *sessionTransport) epoch() int {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	return t.s.epoch
}

// send makes req with the session's cookies and no password, and keeps the
// cookies of the answer.
func (t *sessionTransport) send(req *http.Request, gen int) (*http.Response, error) {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	r.Header.Del("Authorization")
	r.Header.Set("Cookie", t.cookieHeader())
	r.Header.Set("OCS-APIRequest", "true")
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.keep(resp, gen)
	return resp, nil
}

// cookieHeader renders the session's cookies.
func (t *sessionTransport) cookieHeader() string {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	var b strings.Builder
	b.WriteString(sameSiteCookies)
	for name, value := range t.s.cookies {
		if strings.HasPrefix(name, "nc_sameSiteCookie") {
			continue
		}
		b.WriteString("; " + name + "=" + value)
	}
	return b.String()
}

// keep stores the cookies an answer set, if it belongs to the current
// session (a rotated session id must be kept; the passphrase never dropped).
func (t *sessionTransport) keep(resp *http.Response, gen int) {
	cookies := resp.Cookies()
	if len(cookies) == 0 {
		return
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if t.s.gen != gen || t.s.cookies == nil {
		return
	}
	for _, c := range cookies {
		if c.MaxAge < 0 || c.Value == "deleted" {
			delete(t.s.cookies, c.Name)
			continue
		}
		t.s.cookies[c.Name] = c.Value
	}
}

// ensure returns the generation of a live session, logging in when there
// is none or when the session of generation lost has just been lost.
func (t *sessionTransport) ensure(ctx context.Context, lost int) (int, error) {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if lost != 0 && s.gen == lost {
		s.cookies = nil
	}
	if s.cookies != nil {
		return s.gen, nil
	}
	if err := t.usable(); err != nil {
		return 0, err
	}
	return t.login(ctx)
}

// usable refuses at once when the password was refused or logins are
// throttled. Callers hold s.mu.
func (t *sessionTransport) usable() error {
	s := t.s
	if s.refused != nil {
		e := *s.refused
		return &e
	}
	if wait := s.throttledUntil.Sub(s.now()); wait > 0 {
		return &Error{Op: "log in", Kind: ErrThrottled, RetryAfter: wait,
			Message: "Nextcloud refuses every login from Archipel's address for a while (brute-force protection); not trying again before the wait is over"}
	}
	return nil
}

// login logs in with the password once: Basic authentication with
// "Cookie: cookie_test=test", without which Nextcloud keeps no session.
// Callers hold s.mu.
func (t *sessionTransport) login(ctx context.Context) (int, error) {
	const op = "log in"
	s := t.s
	target := t.c.base.String() + "/ocs/v2.php/cloud/user?format=json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, invalid(op, "build request: %v", err)
	}
	req.SetBasicAuth(t.c.user, t.c.password)
	req.Header.Set("Cookie", "cookie_test=test")
	req.Header.Set("OCS-APIRequest", "true")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", t.c.userAgent)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return 0, &Error{Op: op, Kind: ErrUnavailable, Err: err}
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	s.logins++
	meta, _, isOCS := parseEnvelope(raw)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || (isOCS && meta.StatusCode == 429):
		s.throttledUntil = s.now().Add(ThrottleWait)
		return 0, &Error{Op: op, Kind: ErrThrottled, HTTPStatus: resp.StatusCode, OCSStatus: meta.StatusCode,
			Message: strings.TrimSpace(meta.Message), RetryAfter: ThrottleWait}
	case resp.StatusCode == http.StatusUnauthorized || (isOCS && meta.StatusCode == 997):
		s.refused = &Error{Op: op, Kind: ErrUnauthorized, HTTPStatus: resp.StatusCode, OCSStatus: meta.StatusCode,
			Message: "the login password was refused; it will not be sent again until it is changed"}
		e := *s.refused
		return 0, &e
	case resp.StatusCode >= 300 || !isOCS || !meta.ok():
		if !isOCS {
			msg, _ := bodyMessage(raw)
			return 0, responseError(op, resp.StatusCode, resp.Header, 0, msg, nil)
		}
		return 0, responseError(op, resp.StatusCode, resp.Header, meta.StatusCode, meta.Message, nil)
	}
	cookies := map[string]string{}
	for _, c := range resp.Cookies() {
		if c.MaxAge >= 0 && c.Value != "deleted" {
			cookies[c.Name] = c.Value
		}
	}
	if _, ok := cookies["oc_sessionPassphrase"]; !ok {
		return 0, &Error{Op: op, Kind: ErrInvalid, HTTPStatus: resp.StatusCode,
			Message: "the login answered no session cookie; is a proxy removing cookies?"}
	}
	s.cookies = cookies
	s.gen++
	s.epoch++
	s.confirmedAt = s.now()
	return s.gen, nil
}

// confirmIfDue confirms the password before a management write when the
// last confirmation is about to lapse.
func (t *sessionTransport) confirmIfDue(ctx context.Context, gen int) (int, error) {
	t.s.mu.Lock()
	due := t.s.gen == gen && t.s.now().Sub(t.s.confirmedAt) >= ConfirmAfter
	epoch := t.s.epoch
	t.s.mu.Unlock()
	if !due {
		return gen, nil
	}
	return t.confirm(ctx, gen, epoch)
}

// confirm confirms the password in the session of generation gen (unless
// another request did since epoch), or logs in again when the server has no
// confirmation route or the session is gone.
func (t *sessionTransport) confirm(ctx context.Context, gen, epoch int) (int, error) {
	const op = "confirm the password"
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := t.usable(); err != nil {
		return 0, err
	}
	if s.gen != gen || s.cookies == nil {
		// Another request logged in again meanwhile: that login confirms.
		if s.cookies == nil {
			return t.login(ctx)
		}
		return s.gen, nil
	}
	if s.epoch != epoch {
		return gen, nil // confirmed by a concurrent request meanwhile
	}
	target := t.c.base.String() + "/ocs/v2.php/core/apppassword/confirm?format=json"
	form := url.Values{"password": {t.c.password}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, strings.NewReader(form))
	if err != nil {
		return 0, invalid(op, "build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("OCS-APIRequest", "true")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", t.c.userAgent)
	var b strings.Builder
	b.WriteString(sameSiteCookies)
	for name, value := range s.cookies {
		b.WriteString("; " + name + "=" + value)
	}
	req.Header.Set("Cookie", b.String())
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return 0, &Error{Op: op, Kind: ErrUnavailable, Err: err}
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	meta, _, isOCS := parseEnvelope(raw)
	switch {
	case resp.StatusCode < 300 && (!isOCS || meta.ok()):
		s.confirmations++
		s.epoch++
		s.confirmedAt = s.now()
		for _, c := range resp.Cookies() {
			if c.MaxAge >= 0 && c.Value != "deleted" {
				s.cookies[c.Name] = c.Value
			}
		}
		return gen, nil
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusNotFound,
		resp.StatusCode == http.StatusMethodNotAllowed, isOCS && meta.StatusCode == 998:
		// Session gone, or a Nextcloud without this route: a new login confirms.
		s.cookies = nil
		return t.login(ctx)
	case resp.StatusCode == http.StatusForbidden || (isOCS && meta.StatusCode == 403):
		s.refused = &Error{Op: op, Kind: ErrUnauthorized, HTTPStatus: resp.StatusCode, OCSStatus: meta.StatusCode,
			Message: "the login password was refused when confirming it; it will not be sent again until it is changed"}
		e := *s.refused
		return 0, &e
	}
	return 0, responseError(op, resp.StatusCode, resp.Header, meta.StatusCode, meta.Message, nil)
}

// confirmationRefused reports whether a management write was refused for
// want of a password confirmation: 403 on OCS v2, HTTP 200 with statuscode
// 403 on OCS v1 and the group folders app. The body is restored.
func confirmationRefused(resp *http.Response) bool {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusOK {
		return false
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	meta, _, isOCS := parseEnvelope(raw)
	return isOCS && meta.StatusCode == 403 && strings.TrimSpace(meta.Message) == msgConfirmationRequired
}

// discard drains and closes a response that will not be used.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
}

// sessionError returns the *Error a session transport failed with, under
// op, or nil when err came from elsewhere.
func sessionError(op string, err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	out := *e
	out.Op = fmt.Sprintf("%s: %s", op, e.Op)
	return &out
}

// SessionStats returns what the client's session paid for; zero for a
// client with an app password.
func (c *Client) SessionStats() SessionStats {
	if c.session == nil {
		return SessionStats{}
	}
	return c.session.Stats()
}
