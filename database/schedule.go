package database

import (
	"context"
	"time"
)

// ClaimRun reports whether this worker is the one to run the scheduled task
// name for slot (such as "2026-11-21" for a daily task): the first replica
// to ask wins, the others skip.
func (db *DB) ClaimRun(ctx context.Context, name, slot, worker string, now time.Time) (bool, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO scheduled_runs (name, slot, worker, started_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name, slot) DO NOTHING`, name, slot, worker, now.UTC())
	if err != nil {
		return false, MapError(err, "database: claim run")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
