package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"archipel/apperr"
	"archipel/database"
	"archipel/privlink"
)

// OIDCConfig is a host's identity provider (Keycloak, Authentik,
// LemonLDAP::NG…) through which staff may sign in beside their password.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	Name         string // shown on the login page: "Sign in with <Name>"
	RedirectURL  string // <base URL>/staff/login/oidc/callback
}

// oidcLoginTTL is how long a sign-in may take at the provider.
const oidcLoginTTL = 10 * time.Minute

// OIDC signs staff in through an OpenID Connect provider: authorization
// code flow with PKCE, state and nonce. An account is matched by its
// verified e-mail address to an existing, active staff account; none is
// ever created from a token.
type OIDC struct {
	cfg   OIDCConfig
	store *Store

	mu       sync.Mutex
	provider *oidc.Provider // discovered on first use, so that a provider down at start does not stop the service
}

// NewOIDC returns the sign-in through cfg's provider.
func NewOIDC(store *Store, cfg OIDCConfig) *OIDC {
	return &OIDC{cfg: cfg, store: store}
}

// Name is the provider's name as the login page shows it.
func (o *OIDC) Name() string { return o.cfg.Name }

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, "err.oidc.unavailable", "accounts: oidc discovery", err)
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// Begin starts a sign-in: it records its state, nonce and PKCE verifier
// and returns the provider's address to send the browser to, and the
// state the browser keeps in a cookie. Unavailable when the provider
// cannot be reached.
func (o *OIDC) Begin(ctx context.Context, next string) (authURL, state string, err error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", "", err
	}
	state, stateHash := privlink.New()
	nonce, _ := privlink.New()
	verifier := oauth2.GenerateVerifier()
	now := o.store.now()
	if _, err := o.store.db.ExecContext(ctx, `DELETE FROM oidc_logins WHERE expires_at < $1`, now); err != nil {
		return "", "", database.MapError(err, "accounts: oidc begin")
	}
	if _, err := o.store.db.ExecContext(ctx, `INSERT INTO oidc_logins (state_hash, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		stateHash, nonce, verifier, next, now.Add(oidcLoginTTL)); err != nil {
		return "", "", database.MapError(err, "accounts: oidc begin")
	}
	return o.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), state, nil
}

// Finish ends a sign-in the provider sent back with code: the state must
// be the browser's own and unused, the ID token valid (signature, issuer,
// audience, expiry) and carry the nonce, and its e-mail address verified
// and that of an active staff account. It opens a session like Login and
// returns the account, the session token and where to go next. Errors:
// Forbidden with a message saying why (err.oidc.*), Unavailable when the
// provider cannot be reached.
func (o *OIDC) Finish(ctx context.Context, cookieState, state, code string) (*User, string, string, error) {
	if state == "" || cookieState == "" || state != cookieState {
		return nil, "", "", apperr.New(apperr.Forbidden, "err.oidc.state", "accounts: oidc finish")
	}
	var nonce, verifier, next string
	var expires time.Time
	err := o.store.db.QueryRowContext(ctx, `DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING nonce, verifier, next, expires_at`,
		privlink.Hash(state)).Scan(&nonce, &verifier, &next, &expires)
	if err != nil {
		if errors.Is(database.MapError(err, ""), apperr.ErrNotFound) {
			return nil, "", "", apperr.New(apperr.Forbidden, "err.oidc.state", "accounts: oidc finish")
		}
		return nil, "", "", database.MapError(err, "accounts: oidc finish")
	}
	if o.store.now().After(expires) {
		return nil, "", "", apperr.New(apperr.Forbidden, "err.oidc.state", "accounts: oidc finish")
	}
	p, err := o.discover(ctx)
	if err != nil {
		return nil, "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := o.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, "", "", apperr.Wrap(apperr.Forbidden, "err.oidc.failed", "accounts: oidc exchange", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, "", "", apperr.New(apperr.Forbidden, "err.oidc.failed", "accounts: oidc: no id_token")
	}
	idToken, err := p.VerifierContext(ctx, &oidc.Config{ClientID: o.cfg.ClientID, Now: o.store.now}).Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, "", "", apperr.Wrap(apperr.Forbidden, "err.oidc.expired", "accounts: oidc verify", err)
		}
		return nil, "", "", apperr.Wrap(apperr.Forbidden, "err.oidc.failed", "accounts: oidc verify", err)
	}
	if idToken.Nonce != nonce {
		return nil, "", "", apperr.New(apperr.Forbidden, "err.oidc.failed", "accounts: oidc: nonce mismatch")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"` // a boolean, or "true" from some providers
	}
	if err := idToken.Claims(&claims); err != nil {
		return nil, "", "", apperr.Wrap(apperr.Forbidden, "err.oidc.failed", "accounts: oidc claims", err)
	}
	if v, ok := claims.EmailVerified.(bool); !(ok && v) && claims.EmailVerified != "true" || claims.Email == "" {
		return nil, "", "", apperr.New(apperr.Forbidden, "err.oidc.unverified", "accounts: oidc: e-mail not verified")
	}
	u, token, err := o.store.openSessionFor(ctx, claims.Email)
	if err != nil {
		return nil, "", "", err
	}
	return u, token, next, nil
}

// openSessionFor opens a session for the active account of an address an
// identity provider vouched for. Forbidden (err.oidc.no_account) when no
// active account has it: none is created.
func (s *Store) openSessionFor(ctx context.Context, email string) (*User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE email = $1`, email))
	if err != nil {
		if errors.Is(database.MapError(err, ""), apperr.ErrNotFound) {
			return nil, "", apperr.New(apperr.Forbidden, "err.oidc.no_account", "accounts: oidc login")
		}
		return nil, "", database.MapError(err, "accounts: oidc login")
	}
	if !u.Active {
		return nil, "", apperr.New(apperr.Forbidden, "err.oidc.no_account", "accounts: oidc login")
	}
	now := s.now()
	token, th := privlink.New()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, "", database.MapError(err, "accounts: oidc login")
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
		th, u.ID, now, now.Add(SessionMax)); err != nil {
		return nil, "", database.MapError(err, "accounts: oidc login")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET last_login_at = $1 WHERE id = $2`, now, u.ID); err != nil {
		return nil, "", database.MapError(err, "accounts: oidc login")
	}
	if err := tx.Commit(); err != nil {
		return nil, "", database.MapError(err, "accounts: oidc login")
	}
	u.LastLoginAt = now
	return u, token, nil
}

// Validate checks that an enabled provider is fully configured.
func (c OIDCConfig) Validate() error {
	if c.Issuer == "" {
		return nil
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"ARCHIPEL_OIDC_CLIENT_ID", c.ClientID}, {"ARCHIPEL_OIDC_CLIENT_SECRET", c.ClientSecret}, {"ARCHIPEL_OIDC_NAME", c.Name}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("ARCHIPEL_OIDC_ISSUER is set: %s needed too", strings.Join(missing, ", "))
	}
	if !strings.HasPrefix(c.Issuer, "https://") && !strings.HasPrefix(c.Issuer, "http://") {
		return errors.New("ARCHIPEL_OIDC_ISSUER must be an https:// URL")
	}
	return nil
}
