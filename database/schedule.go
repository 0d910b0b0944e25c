package database

import (
	"context"
	"time"
)

// ClaimRun reports whether this worker is the one to run the scheduled task
// name for slot (such as "2026-11-21" for a daily task), until lease ends:
// the first replica to ask wins and the others skip. A claim whose lease
// ended before the run was finished (its replica died mid-run) can be
// claimed again, so the day's run is not lost; a finished run never is.
func (db *DB) ClaimRun(ctx context.Context, name, slot, worker string, now time.Time, lease time.Duration) (bool, error) {
	now = now.UTC()
	res, err := db.ExecContext(ctx, `INSERT INTO scheduled_runs (name, slot, worker, started_at, lease_until) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name, slot) DO UPDATE SET worker = $3, started_at = $4, lease_until = $5
		WHERE scheduled_runs.finished_at IS NULL AND scheduled_runs.lease_until IS NOT NULL AND scheduled_runs.lease_until < $4`,
		name, slot, worker, now, now.Add(lease))
	if err != nil {
		return false, MapError(err, "database: claim run")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RenewRun extends a running claim's lease; false when the worker lost it.
func (db *DB) RenewRun(ctx context.Context, name, slot, worker string, until time.Time) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE scheduled_runs SET lease_until = $1
		WHERE name = $2 AND slot = $3 AND worker = $4 AND finished_at IS NULL`, until.UTC(), name, slot, worker)
	if err != nil {
		return false, MapError(err, "database: renew run")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishRun records that a claimed run ended: its slot is done for good.
func (db *DB) FinishRun(ctx context.Context, name, slot, worker string, now time.Time) error {
	_, err := db.ExecContext(ctx, `UPDATE scheduled_runs SET finished_at = $1 WHERE name = $2 AND slot = $3 AND worker = $4`,
		now.UTC(), name, slot, worker)
	return MapError(err, "database: finish run")
}
