package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"archipel/apperr"
	"archipel/database"
	"archipel/privlink"
)

// Login checks an address and password and opens a session, returning its
// token for the cookie. Failures are counted per account and per address
// of the client: past the limits, even a right password waits. The answer
// never tells whether the address has an account.
func (s *Store) Login(ctx context.Context, email, password, clientIP string) (*User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.now()
	accountKey, ipKey := "login-account:"+email, "login-ip:"+clientIP
	if blocked, err := s.blocked(ctx, ipKey, maxFailsAddress); err != nil || blocked {
		return nil, "", errors.Join(err, apperr.New(apperr.Forbidden, "err.login.throttled", "accounts: login"))
	}
	if blocked, err := s.blocked(ctx, accountKey, maxFailsAccount); err != nil || blocked {
		// A try on a locked account still counts against the address.
		_, aerr := s.db.Allow(ctx, ipKey, 1<<30, throttleWindow, now)
		return nil, "", errors.Join(err, aerr, apperr.New(apperr.Forbidden, "err.login.throttled", "accounts: login"))
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
	if u != nil && hash != "" {
		ok = CheckPassword(hash, password)
	} else {
		CheckPassword(dummyHash, password)
	}
	if !ok || !u.Active {
		for _, key := range []string{accountKey, ipKey} {
			if _, err := s.db.Allow(ctx, key, 1<<30, throttleWindow, now); err != nil {
				return nil, "", err
			}
		}
		return nil, "", apperr.New(apperr.Forbidden, "err.login.failed", "accounts: login")
	}
	token, th := privlink.New()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
		th, u.ID, now, now.Add(SessionMax)); err != nil {
		return nil, "", database.MapError(err, "accounts: login")
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE staff_users SET last_login_at = $1 WHERE id = $2`, now, u.ID); err != nil {
		return nil, "", database.MapError(err, "accounts: login")
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE key = $1`, accountKey); err != nil {
		return nil, "", database.MapError(err, "accounts: login")
	}
	u.LastLoginAt = now
	return u, token, nil
}

// blocked reports whether a throttling counter reached its limit within the
// current window.
func (s *Store) blocked(ctx context.Context, key string, limit int) (bool, error) {
	var count int
	var start time.Time
	err := s.db.QueryRowContext(ctx, `SELECT count, window_start FROM rate_limits WHERE key = $1`, key).Scan(&count, &start)
	if err != nil {
		if errors.Is(database.MapError(err, ""), apperr.ErrNotFound) {
			return false, nil
		}
		return false, database.MapError(err, "accounts: throttle")
	}
	return count >= limit && s.now().Sub(start) < throttleWindow, nil
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
