package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxBruteForceDelay caps the brute-force delay like Nextcloud's throttler.
const maxBruteForceDelay = 25 * time.Second

// Cookies of a Nextcloud PHP session. The session cookie is named after the
// instance id; the simulator uses the recorded 34 lab's.
const (
	sessionCookie    = "oc8e0ghyirx7"
	passphraseCookie = "oc_sessionPassphrase"
	cookieTest       = "cookie_test"
	sameSiteLax      = "nc_sameSiteCookielax"
	sameSiteStrict   = "nc_sameSiteCookiestrict"
)

// msgConfirmationRequired is the refusal of a management write without a
// recent password confirmation.
const msgConfirmationRequired = "Password confirmation is required"

// msgMaxDelay is the brute-force protection's refusal (HTTP 429).
const msgMaxDelay = "Reached maximum delay"

// session is who is calling, once credentials have been checked.
type session struct {
	user      *user
	token     string // the app password used, if any
	failed    bool   // credentials were sent and rejected
	sent      bool   // an Authorization header was present
	throttled bool   // the brute-force protection refused the login (429)
	confirmed bool   // the caller's password was confirmed recently enough for management writes
	cookie    bool   // authenticated by a session cookie
	php       *loginSession
	homeErr   error // the first-login skeleton copy failed
	newHome   bool  // this login created the home folder
	clientIP  string
}

// loginSession is a PHP session that survives the request: made by a Basic
// login carrying "Cookie: cookie_test=test", reused with its cookies.
type loginSession struct {
	id, passphrase string
	user           *user
	token          string    // app password of an app-password session
	confirmedAt    time.Time // last login with the password or confirmation; zero if never
}

// loginAttempt is one failed login, for the blocking brute-force protection.
type loginAttempt struct {
	at   time.Time
	user string
}

// clientIP is the address brute-force protection counts failures against.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// bruteForceDelay is the delay applied to Basic logins from ip: base × 2^n
// after n failures, capped at 25 s. Callers hold s.mu.
func (s *Simulator) bruteForceDelay(ip string) time.Duration {
	n := s.failures[ip]
	if n == 0 || s.opts.BruteForceDelay <= 0 || s.opts.Profile.BruteForceBlock {
		return 0
	}
	if n > 10 {
		return maxBruteForceDelay
	}
	d := s.opts.BruteForceDelay << n
	if d > maxBruteForceDelay {
		return maxBruteForceDelay
	}
	return d
}

// throttle sleeps for the brute-force delay of the caller's IP when it sends
// Basic credentials, and for the cost of verifying a login password. It
// returns false if the request was cancelled meanwhile.
func (s *Simulator) throttle(r *http.Request) bool {
	if r.Header.Get("Authorization") == "" {
		return true
	}
	s.mu.Lock()
	d := s.bruteForceDelay(clientIP(r))
	if s.opts.Profile.LoginLatency > 0 && s.verifiesPassword(r) {
		d += s.opts.Profile.LoginLatency
	}
	s.mu.Unlock()
	return sleepCtx(r, d, s.closed)
}

// verifiesPassword reports whether r makes the server verify a login
// password: Basic credentials that are not an app password, without a live
// session cookie (which wins over Basic). Callers hold s.mu.
func (s *Simulator) verifiesPassword(r *http.Request) bool {
	if s.cookieSession(r) != nil {
		return false
	}
	login, secret, ok := r.BasicAuth()
	u := s.user(login)
	return ok && u != nil && s.tokens[secret] != u.id
}

// cookieSession returns the live session r's cookies name, or nil.
func (s *Simulator) cookieSession(r *http.Request) *loginSession {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	ls := s.sessions[c.Value]
	if ls == nil {
		return nil
	}
	if p, err := r.Cookie(passphraseCookie); err != nil || p.Value != ls.passphrase {
		return nil
	}
	return ls
}

// sleepCtx waits d unless the request is cancelled or stop is closed first.
func sleepCtx(r *http.Request, d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-stop:
		return true
	}
}

// blocked reports whether the blocking brute-force protection refuses every
// login from ip: more than the allowed failures within the window. Callers
// hold s.mu.
func (s *Simulator) blocked(ip string) bool {
	p := s.opts.Profile
	if !p.BruteForceBlock {
		return false
	}
	since := s.now().Add(-p.BruteForceWindow)
	kept := s.attempts[ip][:0]
	for _, a := range s.attempts[ip] {
		if a.at.After(since) {
			kept = append(kept, a)
		}
	}
	s.attempts[ip] = kept
	return len(kept) > p.BruteForceMaxFailures
}

// authenticate finds who is calling: a live session cookie first (Basic
// credentials are then ignored, as Nextcloud does), else Basic or Bearer
// credentials, checked against login passwords and app passwords; a
// success counts as a login. A Basic login carrying cookie_test opens a
// session whose cookies are set on w. Callers hold s.mu.
func (s *Simulator) authenticate(w http.ResponseWriter, r *http.Request) session {
	ss := session{clientIP: clientIP(r)}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, err := r.Cookie(passphraseCookie); err != nil {
			// The session cannot be decrypted without its passphrase: PHP
			// starts a new, empty one and the old one is gone.
			delete(s.sessions, c.Value)
			s.setSessionCookies(w, &loginSession{id: randomHex(13), passphrase: randomHex(64)})
		} else if ls := s.cookieSession(r); ls != nil && ls.user != nil && s.user(ls.user.id) == ls.user && ls.user.enabled {
			ss.user, ss.token, ss.php, ss.cookie = ls.user, ls.token, ls, true
			ss.confirmed = !ls.confirmedAt.IsZero() && !s.now().After(ls.confirmedAt.Add(s.opts.Profile.ConfirmationWindow))
			return ss
		}
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return ss
	}
	ss.sent = true
	if s.blocked(ss.clientIP) {
		ss.throttled = true
		return ss
	}
	var u *user
	var password bool
	if token, ok := strings.CutPrefix(auth, "Bearer "); ok {
		if uid, found := s.tokens[strings.TrimSpace(token)]; found {
			u, ss.token = s.user(uid), strings.TrimSpace(token)
		}
	} else {
		login, secret, ok := r.BasicAuth()
		u = s.user(login)
		switch {
		case !ok || u == nil || !u.enabled:
			u = nil
		case u.password != "" && secret == u.password:
			password = true
		case s.tokens[secret] == u.id:
			ss.token = secret
		default:
			u = nil
		}
		if ok && u == nil && s.user(login) != nil && s.user(login).enabled {
			s.logins++ // a wrong password is verified too
		}
	}
	if u == nil || !u.enabled {
		ss.failed = true
		s.failures[ss.clientIP]++
		login, _, _ := r.BasicAuth()
		s.attempts[ss.clientIP] = append(s.attempts[ss.clientIP], loginAttempt{at: s.now(), user: strings.ToLower(login)})
		return ss
	}
	if password {
		s.logins++
	}
	// A successful login clears the failures recorded for that account.
	kept := s.attempts[ss.clientIP][:0]
	for _, a := range s.attempts[ss.clientIP] {
		if a.user != strings.ToLower(u.id) {
			kept = append(kept, a)
		}
	}
	s.attempts[ss.clientIP] = kept
	ss.user = u
	ss.confirmed = password || (ss.token != "" && s.opts.Profile.AppPasswordConfirms && !strings.HasPrefix(auth, "Bearer "))
	if _, err := r.Cookie(cookieTest); err == nil {
		ls := &loginSession{id: randomHex(13), passphrase: randomHex(64), user: u, token: ss.token}
		if ss.confirmed {
			ls.confirmedAt = s.now()
		}
		s.sessions[ls.id] = ls
		ss.php = ls
		s.setSessionCookies(w, ls)
	} else if s.opts.Profile.BruteForceBlock {
		// Without cookie_test Nextcloud still answers session cookies, but
		// makes no session token: they lead nowhere.
		s.setSessionCookies(w, &loginSession{id: randomHex(13), passphrase: randomHex(64)})
	}
	ss.newHome = u.home == nil
	ss.homeErr = s.login(u)
	return ss
}

// setSessionCookies sets the cookies of a PHP session on w.
func (s *Simulator) setSessionCookies(w http.ResponseWriter, ls *loginSession) {
	http.SetCookie(w, &http.Cookie{Name: passphraseCookie, Value: ls.passphrase, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: ls.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// setSameSiteCookies sets the two cookies Nextcloud's strict-cookie check
// looks for.
func setSameSiteCookies(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sameSiteLax, Value: "true", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: sameSiteStrict, Value: "true", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// hasStrictCookie reports whether r carries the strict same-site cookie.
func hasStrictCookie(r *http.Request) bool {
	_, err := r.Cookie(sameSiteStrict)
	return err == nil
}

// confirmPassword checks password for the caller of a confirmation route
// and, when right, confirms the caller's session (a confirmation made
// without a kept session lands in one nobody reuses). Callers hold s.mu.
func (s *Simulator) confirmPassword(u *user, php *loginSession, password string) bool {
	s.logins++
	if u == nil || u.password == "" || password != u.password {
		return false
	}
	if php != nil {
		php.confirmedAt = s.now()
	}
	return true
}

// randomHex returns n random hexadecimal characters.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// newAppPassword returns a 72-character token like Nextcloud's.
func newAppPassword() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 72)
	rand.Read(b)
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
