package database

import (
	"context"
	"net/netip"
	"time"
)

// Allow counts one event under key in a fixed window and reports whether the
// count is still within limit. Counters live in the database so that every
// replica sees the same ones; the count is taken in one statement, so that
// events arriving together each get their own number and no more than limit
// of them are ever allowed in a window.
func (db *DB) Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	now = now.UTC()
	var count int
	err := db.QueryRowContext(ctx, `INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END,
			window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END
		RETURNING count`, key, now, now.Add(-window)).Scan(&count)
	if err != nil {
		return false, MapError(err, "database: rate limit")
	}
	return count <= limit, nil
}

// Refund gives back one event counted under key by Allow, for an event that
// turned out not to be one (a right password, a check that never ran).
func (db *DB) Refund(ctx context.Context, key string) error {
	_, err := db.ExecContext(ctx, `UPDATE rate_limits SET count = count - 1 WHERE key = $1 AND count > 0`, key)
	return MapError(err, "database: rate limit refund")
}

// ForgetLimits deletes counters whose window ended before cutoff: they
// carry client addresses, which are kept no longer than needed.
func (db *DB) ForgetLimits(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM rate_limits WHERE window_start < $1`, cutoff.UTC())
	if err != nil {
		return 0, MapError(err, "database: forget limits")
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// AddressKey is the part of a client address that limits count against:
// the address itself for IPv4, its /64 network for IPv6, since one
// subscriber commonly gets a whole /64 and could otherwise pick a fresh
// address for every try.
func AddressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}
