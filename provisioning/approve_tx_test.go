package provisioning

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"archipel/accounts"
	"archipel/database"
	"archipel/onboarding"
)

// TestApprovalCommitsWithItsAuditLine checks that an approval, its job and
// its audit line commit in one transaction: when the audit write fails,
// neither the approval nor a job is kept; a normal approval leaves exactly
// one audit line naming its job.
func TestApprovalCommitsWithItsAuditLine(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	audit := accounts.NewStore(env.DB, nil)
	staff := &accounts.User{ID: "u-staff", Email: "staff@ile.example", Role: accounts.RoleStaff, HostID: env.Host.Host.ID}
	count := func(q, id string) (n int) {
		t.Helper()
		must(t, env.DB.QueryRowContext(env.ctx, q, id).Scan(&n))
		return n
	}
	const jobsOf = `SELECT COUNT(*) FROM provisioning_jobs WHERE application_id = $1`
	const auditOf = `SELECT COUNT(*) FROM audit_log WHERE application_id = $1`
	auditLine := func(ctx context.Context, a *onboarding.Application) func(string) database.Then {
		return func(jobID string) database.Then {
			return audit.RecordIn(ctx, staff, "approved", a.HostID, a.ID, "job "+jobID)
		}
	}

	t.Run("a failing audit write keeps nothing", func(t *testing.T) {
		a := env.newRequest(env.Host, association{Name: "Club A"})
		gone, cancel := context.WithCancel(env.ctx)
		cancel()
		refused := errors.New("outbox refused")
		for name, then := range map[string][]func(string) database.Then{
			"the audit write fails":             {auditLine(gone, a)},
			"what follows the audit line fails": {auditLine(env.ctx, a), func(string) database.Then { return func(*sql.Tx) error { return refused } }},
		} {
			if _, err := env.Engine.Approve(env.ctx, a, env.Host.Host, DefaultPlanOptions(a, env.Host.Host), staff, then...); err == nil {
				t.Fatalf("%s: approved anyway", name)
			}
			stored, err := env.Apps.Get(env.ctx, a.ID)
			must(t, err)
			if stored.Status != onboarding.StatusSubmitted || a.Status != onboarding.StatusSubmitted {
				t.Errorf("%s: status %s kept (in memory %s)", name, stored.Status, a.Status)
			}
			if j, n := count(jobsOf, a.ID), count(auditOf, a.ID); j != 0 || n != 0 {
				t.Errorf("%s: %d jobs and %d audit lines kept", name, j, n)
			}
		}
	})
	t.Run("an approval leaves exactly one audit line", func(t *testing.T) {
		a := env.newRequest(env.Host, association{Name: "Club B"})
		id, err := env.Engine.Approve(env.ctx, a, env.Host.Host, DefaultPlanOptions(a, env.Host.Host), staff, auditLine(env.ctx, a))
		must(t, err)
		var n int
		var detail string
		must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*), MIN(detail) FROM audit_log WHERE application_id = $1`, a.ID).Scan(&n, &detail))
		if n != 1 || detail != "job "+id {
			t.Errorf("%d audit lines, detail %q; want 1, %q", n, detail, "job "+id)
		}
		env.checkJobs(t, a.ID, id)
	})
}

// testAdmin acts in tests whose subject is not who may act.
var testAdmin = &accounts.User{ID: "u-admin", Email: "admin@archipel.example", Role: accounts.RoleAdmin}
