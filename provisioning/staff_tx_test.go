package provisioning

import (
	"context"
	"errors"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// TestStaffActionsCommitWithTheirAuditLine checks that retrying,
// cancelling a provisioning and disabling a workspace commit with their
// audit line: when the audit write fails, nothing of the change is kept;
// otherwise both are, once.
func TestStaffActionsCommitWithTheirAuditLine(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	audit := accounts.NewStore(env.DB, nil)
	staff := &accounts.User{ID: "u-staff", Email: "staff@ile.example", Role: accounts.RoleStaff, HostID: env.Host.Host.ID}
	gone, cancel := context.WithCancel(env.ctx)
	cancel()
	lines := func(action accounts.Action, appID string) (n int) {
		t.Helper()
		must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = $1 AND application_id = $2`, action, appID).Scan(&n))
		return n
	}
	app, id := env.submitAndApprove(env.Host, association{Name: "Club Audit"})

	for _, step := range []struct {
		name         string
		action       accounts.Action
		do           func(audit database.Then) error
		before, want JobStatus
	}{
		{"cancelling", "provisioning_cancelled", func(a database.Then) error { return env.Engine.Jobs.Cancel(env.ctx, staff, id, a) }, JobPending, JobCancelled},
		{"retrying", "provisioning_retried", func(a database.Then) error { return env.Engine.Jobs.Retry(env.ctx, staff, id, a) }, JobCancelled, JobPending},
	} {
		t.Run(step.name, func(t *testing.T) {
			if err := step.do(audit.RecordIn(gone, staff, step.action, app.HostID, app.ID, "")); err == nil {
				t.Fatal("done without its audit line")
			}
			if j := env.job(id); j.Status != step.before || lines(step.action, app.ID) != 0 {
				t.Errorf("a failing audit write kept status %s, %d audit lines", j.Status, lines(step.action, app.ID))
			}
			must(t, step.do(audit.RecordIn(env.ctx, staff, step.action, app.HostID, app.ID, "")))
			if j := env.job(id); j.Status != step.want || lines(step.action, app.ID) != 1 {
				t.Errorf("status %s, %d audit lines; want %s, 1", j.Status, lines(step.action, app.ID), step.want)
			}
		})
	}

	t.Run("disabling the workspace", func(t *testing.T) {
		if j, _ := env.settle(id); j.Status != JobSucceeded {
			t.Fatalf("job %s", j.Status)
		}
		disabled := func() bool {
			w, err := env.Engine.Jobs.Workspace(env.ctx, app.ID)
			must(t, err)
			return w.Disabled()
		}
		then := func(a database.Then) func(*Workspace) database.Then {
			return func(*Workspace) database.Then { return a }
		}
		if _, err := env.Engine.DisableWorkspace(env.ctx, staff, app.ID, then(audit.RecordIn(gone, staff, "workspace_disabled", app.HostID, app.ID, ""))); err == nil {
			t.Fatal("disabled without its audit line")
		}
		if disabled() || lines("workspace_disabled", app.ID) != 0 {
			t.Errorf("a failing audit write kept disabled %t, %d audit lines", disabled(), lines("workspace_disabled", app.ID))
		}
		// The host's account is disabled already: doing it again is harmless.
		w, err := env.Engine.DisableWorkspace(env.ctx, staff, app.ID, then(audit.RecordIn(env.ctx, staff, "workspace_disabled", app.HostID, app.ID, "")))
		must(t, err)
		if !w.Disabled() || !disabled() || lines("workspace_disabled", app.ID) != 1 {
			t.Errorf("disabled %t, %d audit lines; want true, 1", disabled(), lines("workspace_disabled", app.ID))
		}
	})
}

// TestWhoMayActOnAProvisioning is the access matrix of the staff's actions
// on a provisioning, in the domain: those who may decide on the request
// (administrators, its host's staff) act; its host's trainers, another
// host's staff and an account without host get "not found", as if there
// were nothing, and nothing changes; on SQLite and PostgreSQL.
func TestWhoMayActOnAProvisioning(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	host := env.Host.Host.ID
	app, id := env.submitAndApprove(env.Host, association{Name: "Club Matrice"})
	if j, _ := env.settle(id); j.Status != JobSucceeded {
		t.Fatalf("job %s", j.Status)
	}
	// A second request whose provisioning is stopped, to retry and cancel.
	_, stopped := env.submitAndApprove(env.Host, association{Name: "Club Arrêté"})
	must(t, env.Engine.Jobs.Cancel(env.ctx, testAdmin, stopped))
	for _, tc := range []struct {
		name  string
		actor *accounts.User
	}{
		{"a trainer of the host", &accounts.User{ID: "t", Role: accounts.RoleTrainer, HostID: host}},
		{"staff of another host", &accounts.User{ID: "o", Role: accounts.RoleStaff, HostID: "elsewhere"}},
		{"a staff account without host", &accounts.User{ID: "n", Role: accounts.RoleStaff}},
		{"nobody", nil},
	} {
		t.Run(tc.name+" gets not found and changes nothing", func(t *testing.T) {
			if err := env.Engine.Jobs.Retry(env.ctx, tc.actor, stopped); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("retry: %v", err)
			}
			if j := env.job(stopped); j.Status != JobCancelled {
				t.Errorf("retry: job %s", j.Status)
			}
			if err := env.Engine.Jobs.Cancel(env.ctx, tc.actor, id); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("cancel: %v", err)
			}
			if _, err := env.Engine.DisableWorkspace(env.ctx, tc.actor, app.ID); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("disable: %v", err)
			}
			if w, err := env.Engine.Jobs.Workspace(env.ctx, app.ID); err != nil || w.Disabled() {
				t.Errorf("disable: workspace disabled %t, %v", w != nil && w.Disabled(), err)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		actor *accounts.User
	}{
		{"the host's staff", &accounts.User{ID: "s", Role: accounts.RoleStaff, HostID: host}},
		{"an administrator", testAdmin},
	} {
		t.Run(tc.name+" retry and cancel", func(t *testing.T) {
			must(t, env.Engine.Jobs.Retry(env.ctx, tc.actor, stopped))
			must(t, env.Engine.Jobs.Cancel(env.ctx, tc.actor, stopped))
		})
	}
	t.Run("the host's staff disable the workspace", func(t *testing.T) {
		if _, err := env.Engine.DisableWorkspace(env.ctx, &accounts.User{ID: "s", Role: accounts.RoleStaff, HostID: host}, app.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConnectionCommitsWithItsAuditLine checks that saving a host's
// connection is an administrator's (its own staff get not found) and
// commits with its audit line: when it fails, the old connection stays.
func TestConnectionCommitsWithItsAuditLine(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	h := env.Host.Host
	audit := accounts.NewStore(env.DB, nil)
	gone, cancel := context.WithCancel(env.ctx)
	cancel()
	url := func() (u string) {
		t.Helper()
		must(t, env.DB.QueryRowContext(env.ctx, `SELECT nextcloud_url FROM hosts WHERE id = $1`, h.ID).Scan(&u))
		return u
	}
	before := url()
	for _, who := range []*accounts.User{nil, {ID: "s", Role: accounts.RoleStaff, HostID: h.ID}} {
		if err := env.Hosts.SetConnection(env.ctx, who, h.ID, "https://ailleurs.example", "x", "secret", CredentialAppPassword); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("set by %+v: %v, want not found", who, err)
		}
	}
	if err := env.Hosts.SetConnection(env.ctx, testAdmin, h.ID, "https://ailleurs.example", "x", "secret", CredentialAppPassword,
		audit.RecordIn(gone, testAdmin, accounts.ActionHostConnectionSaved, h.ID, "", "")); err == nil {
		t.Fatal("saved without its audit line")
	}
	if got := url(); got != before {
		t.Errorf("a refused or failed save changed the connection to %q", got)
	}
}
