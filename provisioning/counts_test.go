package provisioning

import (
	"context"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/database/dbtest"
)

func TestStoppedJobsAndCountsTellCreationsFromCleanUps(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO hosts (id, slug, name, created_at, updated_at) VALUES ('h1', 'h1', 'Récif', $1, $1)`, at)
	for _, id := range []string{"a1", "a2", "a3"} {
		exec(`INSERT INTO applications (id, status, language, answers, host_id, created_at, updated_at) VALUES ($1, 'ready', 'fr', '{}', 'h1', $2, $2)`, id, at)
	}
	// A creation stopped an hour after its last update, a clean-up failed
	// without a finishing time, and a creation that succeeded.
	exec(`INSERT INTO provisioning_jobs (id, application_id, host_id, status, kind, plan, next_run_at, created_at, updated_at, finished_at)
		VALUES ('j1', 'a1', 'h1', 'needs_attention', 'provision', '{"association_name":"Les Amis"}', $1, $1, $1, $2)`, at, at.Add(time.Hour))
	exec(`INSERT INTO provisioning_jobs (id, application_id, host_id, status, kind, plan, next_run_at, created_at, updated_at)
		VALUES ('j2', 'a2', 'h1', 'failed', 'cleanup', '{}', $1, $1, $1)`, at)
	exec(`INSERT INTO provisioning_jobs (id, application_id, host_id, status, kind, plan, next_run_at, created_at, updated_at)
		VALUES ('j3', 'a3', 'h1', 'succeeded', 'provision', '{}', $1, $1, $1)`, at)
	s := NewStore(db, nil)

	t.Run("the counts are by kind and status", func(t *testing.T) {
		got, err := s.CountByKindAndStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got["provision"]["needs_attention"] != 1 || got["provision"]["succeeded"] != 1 || got["cleanup"]["failed"] != 1 ||
			got["provision"]["failed"] != 0 || got["cleanup"]["succeeded"] != 0 {
			t.Errorf("counts %v", got)
		}
	})
	t.Run("the stopped jobs say their kind and since when they stopped", func(t *testing.T) {
		jobs, err := s.StoppedJobs(ctx, &accounts.User{ID: "s", Role: accounts.RoleStaff, HostID: "h1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 2 {
			t.Fatalf("%d jobs", len(jobs))
		}
		if j := jobs[0]; j.JobID != "j1" || j.Kind != KindProvision || j.Association != "Les Amis" || !j.Since.Equal(at.Add(time.Hour)) {
			t.Errorf("creation %+v", j)
		}
		if j := jobs[1]; j.JobID != "j2" || j.Kind != KindCleanup || !j.Since.Equal(at) {
			t.Errorf("clean-up %+v", j)
		}
	})
}
