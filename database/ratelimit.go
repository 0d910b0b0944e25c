package database

import (
	"context"
	"database/sql"
	"time"
)

// Allow counts one event under key in a fixed window and reports whether the
// count is still within limit. Counters live in the database so that every
// replica sees the same ones.
func (db *DB) Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	now = now.UTC()
	var count int
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var start time.Time
		err := tx.QueryRowContext(ctx, `SELECT window_start, count FROM rate_limits WHERE key = $1`, key).Scan(&start, &count)
		switch {
		case err == sql.ErrNoRows:
			count = 1
			_, err = tx.ExecContext(ctx, `INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
				ON CONFLICT (key) DO UPDATE SET count = rate_limits.count + 1`, key, now)
			return err
		case err != nil:
			return err
		case now.Sub(start) >= window:
			count = 1
			_, err = tx.ExecContext(ctx, `UPDATE rate_limits SET window_start = $1, count = 1 WHERE key = $2`, now, key)
			return err
		default:
			count++
			_, err = tx.ExecContext(ctx, `UPDATE rate_limits SET count = count + 1 WHERE key = $1`, key)
			return err
		}
	})
	if err != nil {
		return false, MapError(err, "database: rate limit")
	}
	return count <= limit, nil
}

// ForgetLimits deletes counters whose window ended before cutoff.
func (db *DB) ForgetLimits(ctx context.Context, cutoff time.Time) error {
	_, err := db.ExecContext(ctx, `DELETE FROM rate_limits WHERE window_start < $1`, cutoff.UTC())
	return MapError(err, "database: forget limits")
}
