package provisioning

import (
	"crypto/sha256"
	"time"

	"archipel/provisioning/nextcloud"
)

// Credential is what a host's stored Nextcloud secret is.
type Credential string

const (
	// CredentialAppPassword is an app password of the provisioning account:
	// fast and revocable, enough on Nextcloud 27 to 32; Nextcloud 33 and
	// later refuse management calls made with it.
	CredentialAppPassword Credential = "app_password"
	// CredentialLoginPassword is the login password of a dedicated
	// provisioning account (an administrator without a second factor):
	// Archipel logs in once per host and works in that session.
	CredentialLoginPassword Credential = "login_password"
)

// Credentials lists the kinds, in the order the host page offers them.
var Credentials = []Credential{CredentialAppPassword, CredentialLoginPassword}

// Valid reports whether c is a known kind.
func (c Credential) Valid() bool {
	return c == CredentialAppPassword || c == CredentialLoginPassword
}

// hostSession is the login session kept for a host, with the fingerprint
// of the connection it was opened for.
type hostSession struct {
	fingerprint [32]byte
	session     *nextcloud.Session
}

// session returns the login session shared by every client of host h (one
// login per host and per process; sessions live in memory only). A new
// connection (another address, account or secret) gets a new session, so a
// refused password is forgotten once it is replaced.
func (hs *Hosts) session(h *Host, sealed []byte) *nextcloud.Session {
	fp := sha256.Sum256([]byte(h.NextcloudURL + "\x00" + h.NextcloudUser + "\x00" + string(sealed)))
	hs.sessionsMu.Lock()
	defer hs.sessionsMu.Unlock()
	if hs.sessions == nil {
		hs.sessions = map[string]*hostSession{}
	}
	if s, ok := hs.sessions[h.ID]; ok && s.fingerprint == fp {
		return s.session
	}
	now := hs.Now
	if now == nil {
		now = time.Now
	}
	s := &hostSession{fingerprint: fp, session: nextcloud.NewSession(now)}
	hs.sessions[h.ID] = s
	return s.session
}
