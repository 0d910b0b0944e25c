package provisioning

import (
	"context"
	"fmt"
)

// JobStatusNames lists every status a job may have, for reports that show
// zeros too (metrics).
func JobStatusNames() []string {
	return []string{string(JobPending), string(JobRunning), string(JobRetry), string(JobSucceeded),
		string(JobNeedsAttention), string(JobFailed), string(JobCancelled)}
}

// CountByStatus returns how many jobs of the whole archipelago stand in
// each status (statuses without jobs are absent). It is for operators'
// metrics: no host scope, no personal data.
func (s *Store) CountByStatus(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM provisioning_jobs GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("provisioning: count jobs: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("provisioning: count jobs: %w", err)
		}
		counts[st] = n
	}
	return counts, rows.Err()
}
