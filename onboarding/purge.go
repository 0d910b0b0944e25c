package onboarding

import (
	"context"
	"time"

	"archipel/database"
)

// Retention periods, as the privacy page states them.
const (
	DraftRetention = 183 * 24 * time.Hour // a request never sent: 6 months
	EndedRetention = 365 * 24 * time.Hour // declined or withdrawn: 12 months after it ended
)

// Purge erases the requests kept longer than the privacy page promises,
// with their links and timelines; it returns how many were erased.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `DELETE FROM applications
		WHERE (status = 'draft' AND updated_at < $1)
		OR (status IN ('declined', 'withdrawn') AND updated_at < $2
			AND NOT EXISTS (SELECT 1 FROM provisioning_jobs j WHERE j.application_id = applications.id))`,
		now.Add(-DraftRetention), now.Add(-EndedRetention))
	if err != nil {
		return 0, database.MapError(err, "onboarding: purge")
	}
	return res.RowsAffected()
}
