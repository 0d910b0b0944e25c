package provisioning

import (
	"math/rand/v2"
	"strings"
	"testing"

	"archipel/provisioning/simulator"
)

// TestTheCleanUpSurvivesAKillInEachStep provisions four workspaces with
// every service, turns three into clean-ups, then runs the engine in child
// processes (TestCrashChild) and kills one with SIGKILL while a clean-up is
// inside each of its steps, a few host calls into the step, until every
// clean-up is done: nothing of the three workspaces is left on the host,
// and the fourth is whole (nothing of it was deleted by a resumed step).
// On both Nextcloud generations; under -short (the race run in CI) on the
// newest only, as the provisioning crash test.
func TestTheCleanUpSurvivesAKillInEachStep(t *testing.T) {
	for i, g := range generations {
		if testing.Short() && i < len(generations)-1 {
			continue
		}
		t.Run(g.name, func(t *testing.T) { testCleanupSurvivesKills(t, g.profile) })
	}
}

func testCleanupSurvivesKills(t *testing.T, profile simulator.Profile) {
	seed := crashSeed(t, 20261204)
	rng := rand.New(rand.NewPCG(seed, seed+13))
	r := newCrashRun(t, simulator.Options{Profile: profile}, "erase-child")
	env, h := r.env, r.h

	// Provisioning runs here, in the parent; the clean-ups in the children.
	var jobs []*Job
	var appIDs []string
	for i, name := range []string{"Les Amis du Vélo", "Les Amis du Vélo", "Chorale du Lac", "Jardins partagés"} {
		app := env.newRequest(h, association{Name: name, Contact: []string{"Anne Martin", "Paul Durand", "Léa Petit", "Omar Benali"}[i]})
		id := env.approveWith(h, app, allServices)
		if j, _ := env.settle(id); j.Status != JobSucceeded {
			t.Fatalf("provisioning %s: %s %s", name, j.Status, j.ErrorKey)
		}
		jobs = append(jobs, env.job(id))
		appIDs = append(appIDs, app.ID)
	}
	gone, kept := jobs[:3], jobs[3]
	cleanups := map[string]bool{}
	for i := range gone {
		cc := &cleanupCase{env: env, h: h, appID: appIDs[i]}
		cleanups[cc.enqueue(t)] = true
	}

	r.killInEachStep(rng, KindCleanup, CleanupStepNames)
	r.finish()
	for id := range cleanups {
		if j := env.job(id); j.Status != JobSucceeded || j.Kind != KindCleanup {
			t.Errorf("clean-up %s: %s %s", id, j.Kind, j.Status)
		}
	}
	for _, p := range hostProblems(h.Sim.Snapshot(), true, h.FolderTemplate, []workspace{env.workspaceOf(kept)}, seeded{}) {
		t.Error(p)
	}
	st := h.Sim.Snapshot()
	for _, j := range gone {
		for _, f := range st.GroupFolders {
			if f.ID == j.State.FolderID {
				t.Errorf("group folder %d of %s is still there", f.ID, j.Plan.AssociationName)
			}
		}
	}
	sv := h.Sim.Services()
	var live []simulator.Board
	for _, b := range sv.Boards {
		if !b.Deleted {
			live = append(live, b)
		}
	}
	sv.Boards = live
	for _, p := range serviceProblems(sv, []*Job{kept}, everything()) {
		t.Error(p)
	}
	if t.Failed() {
		t.Logf("services on the host: %+v", h.Sim.Services())
		t.Logf("failures: %s", strings.Join(env.Log.errors(), "; "))
	}
}
