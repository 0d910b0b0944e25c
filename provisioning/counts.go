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

// JobKindNames lists every kind of job, for reports that show zeros too.
func JobKindNames() []string {
	return []string{string(KindProvision), string(KindCleanup)}
}

// CountByKindAndStatus returns how many jobs of the whole archipelago of
// each kind (creating a workspace, or deleting one at an erasure) stand in
// each status; kinds and statuses without jobs are absent. It is for
// operators' metrics: no host scope, no personal data.
func (s *Store) CountByKindAndStatus(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, status, COUNT(*) FROM provisioning_jobs GROUP BY kind, status`)
	if err != nil {
		return nil, fmt.Errorf("provisioning: count jobs: %w", err)
	}
	defer rows.Close()
	counts := map[string]map[string]int{}
	for rows.Next() {
		var kind, st string
		var n int
		if err := rows.Scan(&kind, &st, &n); err != nil {
			return nil, fmt.Errorf("provisioning: count jobs: %w", err)
		}
		if counts[kind] == nil {
			counts[kind] = map[string]int{}
		}
		counts[kind][st] = n
	}
	return counts, rows.Err()
}
