package provisioning

import (
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// cleanupCase is a host with two provisioned associations, every service
// included; the first one's administrator made a member account of its own
// ("bob", in its group only) and an account also in another group
// ("carol", in "voisins" too): the clean-up deletes the first workspace,
// bob with it, and nothing else.
type cleanupCase struct {
	env        *testEnv
	h          *testHost
	gone, kept *Job
	appID      string
}

var cleanupSeeded = seeded{Groups: []string{"voisins"}, Users: []string{"carol"}}

func newCleanupCase(t *testing.T, cfg envConfig) *cleanupCase {
	t.Helper()
	env := withApps(newTestEnv(t, cfg))
	h := env.Host
	a1 := env.newRequest(h, association{})
	id1 := env.approveWith(h, a1, allServices)
	a2 := env.newRequest(h, association{Name: "Chorale du Lac", Contact: "Paul Durand"})
	id2 := env.approveWith(h, a2, allServices)
	cc := &cleanupCase{env: env, h: h, appID: a1.ID}
	for _, id := range []string{id1, id2} {
		if j, _ := env.settle(id); j.Status != JobSucceeded {
			t.Fatalf("provisioning %s: %s %s", id, j.Status, j.ErrorKey)
		}
	}
	cc.gone, cc.kept = env.job(id1), env.job(id2)
	c := h.adminClient(t)
	must(t, c.CreateGroup(env.ctx, "voisins", ""))
	must(t, c.CreateUser(env.ctx, nextcloud.NewUser{ID: "bob", Email: "bob@example.org", Groups: []string{cc.gone.State.GroupID}}))
	must(t, c.CreateUser(env.ctx, nextcloud.NewUser{ID: "carol", Email: "carol@example.org", Groups: []string{cc.gone.State.GroupID, "voisins"}}))
	return cc
}

// enqueue turns the first association's job into its clean-up as the
// erasure does: in one transaction that also empties the job's state.
func (cc *cleanupCase) enqueue(t *testing.T) string {
	t.Helper()
	var id string
	env := cc.env
	must(t, env.DB.Tx(env.ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = env.Engine.EnqueueCleanup(env.ctx, tx, cc.appID); err != nil {
			return err
		}
		_, err = tx.ExecContext(env.ctx, `UPDATE provisioning_jobs SET state = '{}' WHERE id = $1`, id)
		return err
	}))
	return id
}

// problems lists what differs on the host from the kept workspace alone:
// the first workspace's group, accounts, folder and service objects are
// gone, carol and the second workspace are whole.
func (cc *cleanupCase) problems(t *testing.T) []string {
	t.Helper()
	var out []string
	gf := cc.h.Sim.Snapshot().GroupFolders
	for _, f := range gf {
		if f.ID == cc.gone.State.FolderID {
			out = append(out, fmt.Sprintf("group folder %d is still there", f.ID))
		}
	}
	out = append(out, hostProblems(cc.h.Sim.Snapshot(), true, cc.h.FolderTemplate, []workspace{cc.env.workspaceOf(cc.kept)}, cleanupSeeded)...)
	sv := cc.h.Sim.Services()
	var live []simulator.Board
	for _, b := range sv.Boards {
		if b.ID == cc.gone.State.Services.BoardID {
			if !b.Deleted {
				out = append(out, fmt.Sprintf("board %d is not deleted", b.ID))
			}
			continue
		}
		live = append(live, b)
	}
	sv.Boards = live
	out = append(out, serviceProblems(sv, []*Job{cc.kept}, everything())...)
	if u := findUser(cc.h.Sim.Snapshot(), "carol"); u == nil || !slices.Equal(u.Groups, []string{"voisins"}) {
		out = append(out, fmt.Sprintf("carol: %+v, want kept in voisins", u))
	}
	return out
}

// checkDone checks a finished clean-up: the job, the workspace's record and
// the host.
func (cc *cleanupCase) checkDone(t *testing.T, id string) *Job {
	t.Helper()
	j := cc.env.job(id)
	if j.Status != JobSucceeded || j.Kind != KindCleanup {
		t.Fatalf("clean-up %s %s at %s (%s): %s", j.Kind, j.Status, j.ErrorKey, j.ErrorDetail, strings.Join(cc.env.Log.failures(id), "; "))
	}
	if j.Cleanup.GroupID != "" || j.Cleanup.Admin != "" || len(j.Cleanup.Accounts) != 0 || j.Cleanup.Services.TeamID != "" {
		t.Errorf("the clean-up keeps the ids it deleted: %+v", j.Cleanup)
	}
	var deleted sql.NullTime
	must(t, cc.env.DB.QueryRowContext(cc.env.ctx, `SELECT deleted_at FROM workspaces WHERE application_id = $1`, cc.appID).Scan(&deleted))
	if !deleted.Valid {
		t.Error("the workspace is not marked deleted")
	}
	for _, p := range cc.problems(t) {
		t.Error(p)
	}
	return j
}

func TestTheCleanUpDeletesTheWorkspaceAndNothingElse(t *testing.T) {
	for _, g := range generations {
		t.Run("on "+g.name, func(t *testing.T) {
			cc := newCleanupCase(t, envConfig{RPS: fastRPS, SimOptions: simulator.Options{Profile: g.profile}})
			id := cc.enqueue(t)
			if again := cc.enqueue(t); again != id {
				t.Errorf("asking twice made job %s, then %s", id, again)
			}
			j, _ := cc.env.settle(id)
			if failures := cleanupFailures(cc.env, id); len(failures) != 0 {
				t.Errorf("failures: %q", failures)
			}
			j = cc.checkDone(t, j.ID)
			var names []string
			for _, st := range j.Steps {
				names = append(names, st.Name+":"+st.Status)
			}
			if want := []string{"erase_services:done", "erase_folder:done", "erase_accounts:done", "erase_group:done"}; !slices.Equal(names, want) {
				t.Errorf("steps %q, want %q", names, want)
			}
			if d := j.step(StepEraseAccounts).Detail; !strings.Contains(d, `"Count":2`) {
				t.Errorf("accounts step detail %q, want 2 accounts (the association's and bob)", d)
			}
			// Asking again once done changes nothing.
			if again := cc.enqueue(t); again != id {
				t.Errorf("asking after the end made job %s", again)
			}
		})
	}
}

func TestTheCleanUpRefusesWhileProvisioningRuns(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	app := env.newRequest(env.Host, association{})
	env.approve(env.Host, app)
	err := env.DB.Tx(env.ctx, func(tx *sql.Tx) error {
		_, err := env.Engine.EnqueueCleanup(env.ctx, tx, app.ID)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "clean-up") {
		t.Fatalf("enqueue while provisioning is pending: %v, want a conflict", err)
	}
}

// cleanupCalls are the calls of each clean-up step: the first of each, and
// each deletion (whose answer, lost, leaves the deletion done).
var cleanupCalls = []faultTarget{
	{StepEraseServices, "DELETE /ocs/apps/circles/admin/{as}/circles/{id}", 1},
	{StepEraseServices, "DELETE /dav/calendars", 1},
	{StepEraseServices, "DELETE /dav/addressbooks", 1},
	{StepEraseServices, "DELETE /apps/deck/boards/{id}", 1},
	{StepEraseServices, "DELETE /ocs/apps/spreed/api/v4/room/{token}", 1},
	{StepEraseFolder, "GET /apps/groupfolders/folders/{id}", 1},
	{StepEraseFolder, "DELETE /apps/groupfolders/folders/{id}", 1},
	{StepEraseAccounts, "GET /ocs/cloud/groups/{groupid}", 1},
	{StepEraseAccounts, "GET /ocs/cloud/users/{userid}", 1},
	{StepEraseAccounts, "DELETE /ocs/cloud/users/{userid}", 1},
	{StepEraseAccounts, "DELETE /ocs/cloud/users/{userid}", 2},
	{StepEraseGroup, "DELETE /ocs/cloud/groups/{groupid}", 1},
}

func TestEachCleanUpStepRecoversFromPassingFailures(t *testing.T) {
	type tc struct {
		name    string
		target  faultTarget
		kind    faultKind
		profile simulator.Profile
	}
	var cases []tc
	for _, g := range generations {
		for i, target := range cleanupCalls {
			for k, kind := range passingFaults {
				// -short (the race detector's run in CI) tries one kind per
				// call, each kind still on several calls.
				if testing.Short() && k != i%len(passingFaults) {
					continue
				}
				cases = append(cases, tc{fmt.Sprintf("%s: %s step recovers from %s on %s (call %d)", g.name, target.step, kind.name, target.route, target.nth), target, kind, g.profile})
			}
			if strings.HasPrefix(target.route, "DELETE") {
				cases = append(cases, tc{fmt.Sprintf("%s: %s step recovers from %s on %s (call %d)", g.name, target.step, lostAnswer.name, target.route, target.nth), target, lostAnswer, g.profile})
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := envConfig{RPS: fastRPS, Transport: noKeepAlive, SimOptions: simulator.Options{Profile: c.profile}}
			if c.kind.maintenance > 0 {
				cfg.Wrap = func(sim *simulator.Simulator) http.Handler {
					return &maintenanceWindow{sim: sim, calls: c.kind.maintenance}
				}
			}
			cc := newCleanupCase(t, cfg)
			rule := c.kind.rule
			rule.Route, rule.Nth = c.target.route, c.target.nth
			cc.h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{rule}})
			id := cc.enqueue(t)
			cc.env.settle(id)
			j := cc.checkDone(t, id)
			var want, got []string
			for range c.kind.failures {
				want = append(want, fmt.Sprintf("%s: %s (retry)", c.target.step, c.kind.key))
			}
			// On a loaded machine (-race, many tests at once) another call
			// may outlast the test's 500 ms call bound: such a retry is no
			// failure of the call under test.
			for _, f := range cleanupFailures(cc.env, id) {
				if strings.HasPrefix(f, c.target.step+": ") {
					got = append(got, f)
				} else if f != strings.SplitN(f, ":", 2)[0]+": prov.error.unavailable (retry)" {
					t.Errorf("unexpected failure %q", f)
				}
			}
			extraOK := true
			for _, f := range got[min(len(want), len(got)):] {
				extraOK = extraOK && f == c.target.step+": prov.error.unavailable (retry)"
			}
			if len(got) < len(want) || !slices.Equal(got[:len(want)], want) || !extraOK {
				t.Errorf("failures of the %s step %q, want %q", c.target.step, got, want)
			}
			if n := j.step(c.target.step).Attempts; n != len(got) {
				t.Errorf("step %s failed %d times, logged %d", c.target.step, n, len(got))
			}
		})
	}
}

func TestACleanUpStoppedByAPermanentFailureResumesOnRetry(t *testing.T) {
	cc := newCleanupCase(t, envConfig{RPS: fastRPS, Transport: noKeepAlive})
	cc.h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{{Route: "DELETE /ocs/cloud/users/{userid}", Nth: 1,
		Action: simulator.Fail, Status: http.StatusForbidden}}})
	id := cc.enqueue(t)
	j, _ := cc.env.settle(id)
	if j.Status != JobFailed || j.step(StepEraseAccounts).Status != StepStatusFailed || j.step(StepEraseFolder).Status != StepStatusDone {
		t.Fatalf("clean-up %s, steps %+v; want failed at the accounts", j.Status, j.Steps)
	}
	must(t, cc.env.Engine.Jobs.Retry(cc.env.ctx, testAdmin, id))
	cc.env.settle(id)
	cc.checkDone(t, id)
}

func TestAFolderAnotherGroupReachesIsNotDeleted(t *testing.T) {
	cc := newCleanupCase(t, envConfig{RPS: fastRPS})
	c := cc.h.adminClient(t)
	must(t, c.AddGroupToFolder(cc.env.ctx, cc.gone.State.FolderID, "voisins"))
	id := cc.enqueue(t)
	j, _ := cc.env.settle(id)
	if j.Status != JobFailed || j.ErrorKey != "prov.cleanup.foreign_folder" {
		t.Fatalf("clean-up %s %s, want failed: another group's folder", j.Status, j.ErrorKey)
	}
	found := false
	for _, f := range cc.h.Sim.Snapshot().GroupFolders {
		found = found || f.ID == cc.gone.State.FolderID
	}
	if !found {
		t.Error("the folder another group reaches was deleted")
	}
}

// cleanupFailures are the failures logged for a clean-up's steps (the job
// is the request's provisioning job: its provisioning, retried under a
// loaded machine's time-outs, may have logged some of its own).
func cleanupFailures(env *testEnv, id string) []string {
	var out []string
	for _, f := range env.Log.failures(id) {
		if strings.HasPrefix(f, "erase_") {
			out = append(out, f)
		}
	}
	return out
}
