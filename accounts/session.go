package accounts

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"archipel/apperr"
	"archipel/database"
	"archipel/privlink"
)

// Login checks an address and password and opens a session, returning its
// token for the cookie. Every try is counted per account and per network
// of the client (database.AddressKey) before the password is hashed, in one
// statement each, so that tries sent together cannot all slip under the
// limit: past it, even a right password is refused without being checked.
// A right password gives its try back. Hashes run through the store's
// gate: when it is full the answer is unavailable (err.login.busy) and the
// try is given back. The answer never tells whether the address has an
// account.
func (s *Store) Login(ctx context.Context, email, password, clientIP string) (*User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.now()
	accountKey, ipKey := "login-account:"+email, "login-ip:"+database.AddressKey(clientIP)
	refund := func() error {
		return errors.Join(s.db.Refund(ctx, accountKey), s.db.Refund(ctx, ipKey))
	}
	ipOK, err := s.db.Allow(ctx, ipKey, maxFailsAddress, throttleWindow, now)
	if err != nil {
		return nil, "", err
	}
	accountOK, err := s.db.Allow(ctx, accountKey, maxFailsAccount, throttleWindow, now)
	if err != nil {
		return nil, "", err
	}
	if !ipOK || !accountOK {
		return nil, "", apperr.New(apperr.Forbidden, "err.login.throttled", "accounts: login")
	}
	var hash string
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE email = $1`, email))
	if err == nil {
		err = s.db.QueryRowContext(ctx, `SELECT password_hash FROM staff_users WHERE id = $1`, u.ID).Scan(&hash)
	}
	if err != nil && !errors.Is(database.MapError(err, ""), apperr.ErrNotFound) {
		return nil, "", database.MapError(err, "accounts: login")
	}
	ok := false
	gerr := s.gate.Do(ctx, func() {
		if u != nil && hash != "" {
			ok = CheckPassword(hash, password)
		} else {
			CheckPassword(dummyHash, password)
		}
	})
	if gerr != nil {
		return nil, "", errors.Join(gerr, refund())
	}
	if !ok || !u.Active {
		return nil, "", apperr.New(apperr.Forbidden, "err.login.failed", "accounts: login")
	}
	if err := refund(); err != nil {
		return nil, "", err
	}
	token, err := s.OpenSession(ctx, u)
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// OpenSession opens a session for an account whose identity was proven
// (by a password, or by a single sign-on provider) and returns its token
// for the cookie; the account's last sign-in is recorded. A disabled
// account is refused (forbidden).
func (s *Store) OpenSession(ctx context.Context, u *User) (string, error) {
	if !u.Active {
		return "", apperr.New(apperr.Forbidden, "err.login.failed", "accounts: open session")
	}
	now := s.now()
	token, th := privlink.New()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
			th, u.ID, now, now.Add(SessionMax)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE staff_users SET last_login_at = $1 WHERE id = $2`, now, u.ID)
		return err
	})
	if err != nil {
		return "", database.MapError(err, "accounts: open session")
	}
	u.LastLoginAt = now
	return token, nil
}

// Session returns the account of a session token and keeps the session
// alive; an unknown, idle or expired session is not found.
func (s *Store) Session(ctx context.Context, token string) (*User, error) {
	if token == "" {
		return nil, apperr.New(apperr.NotFound, "err.login.required", "accounts: session")
	}
	now := s.now()
	th := privlink.Hash(token)
	var userID string
	var lastSeen time.Time
	err := s.db.QueryRowContext(ctx, `SELECT user_id, last_seen_at FROM staff_sessions WHERE token_hash = $1 AND expires_at > $2`, th, now).Scan(&userID, &lastSeen)
	if err != nil {
		return nil, errors.Join(apperr.New(apperr.NotFound, "err.login.required", "accounts: session"), ignoreNoRows(err))
	}
	if now.Sub(lastSeen) > SessionIdle {
		_, _ = s.db.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, th)
		return nil, apperr.New(apperr.NotFound, "err.login.required", "accounts: session")
	}
	u, err := s.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, apperr.New(apperr.NotFound, "err.login.required", "accounts: session")
	}
	if now.Sub(lastSeen) > time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, th); err != nil {
			return nil, database.MapError(err, "accounts: session")
		}
	}
	return u, nil
}

func ignoreNoRows(err error) error {
	if errors.Is(database.MapError(err, ""), apperr.ErrNotFound) {
		return nil
	}
	return database.MapError(err, "accounts: session")
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, privlink.Hash(token))
	return database.MapError(err, "accounts: logout")
}
