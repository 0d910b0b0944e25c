package simulator

import (
	"crypto/rand"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxBruteForceDelay caps the brute-force delay like Nextcloud's throttler.
const maxBruteForceDelay = 25 * time.Second

// session is who is calling, once Basic credentials have been checked.
type session struct {
	user     *user
	token    string // the app password used, if any
	failed   bool   // credentials were sent and rejected
	sent     bool   // an Authorization header was present
	homeErr  error  // the first-login skeleton copy failed
	newHome  bool   // this login created the home folder
	clientIP string
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
	if n == 0 || s.opts.BruteForceDelay <= 0 {
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
// Basic credentials. It returns false if the request was cancelled meanwhile.
func (s *Simulator) throttle(r *http.Request) bool {
	if r.Header.Get("Authorization") == "" {
		return true
	}
	s.mu.Lock()
	d := s.bruteForceDelay(clientIP(r))
	s.mu.Unlock()
	return sleepCtx(r, d, s.closed)
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

// authenticate checks the Basic credentials of r against passwords and app
// passwords; a success counts as a login. Callers hold s.mu.
func (s *Simulator) authenticate(r *http.Request) session {
	ss := session{clientIP: clientIP(r)}
	if r.Header.Get("Authorization") == "" {
		return ss
	}
	ss.sent = true
	login, secret, ok := r.BasicAuth()
	u := s.user(login)
	switch {
	case !ok || u == nil || !u.enabled:
	case u.password != "" && secret == u.password:
		ss.user = u
	case s.tokens[secret] == u.id:
		ss.user, ss.token = u, secret
	}
	if ss.user == nil {
		ss.failed = true
		s.failures[ss.clientIP]++
		return ss
	}
	ss.newHome = u.home == nil
	ss.homeErr = s.login(u)
	return ss
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
