package provisioning

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"archipel/provisioning/simulator"
)

// TestServiceStepsSurviveAKillInEachStep runs the engine in child processes
// (TestCrashChild) and kills one with SIGKILL while a job is inside each
// service step (calendar, contacts, team, board, talk), several times, a
// few host calls into the step, until every workspace is provisioned: each
// association then has exactly one calendar, one address book, one Team,
// one board and one conversation, each shared once with its group.
func TestServiceStepsSurviveAKillInEachStep(t *testing.T) {
	seed := crashSeed(t, 20261204)
	rng := rand.New(rand.NewPCG(seed, seed))
	r := newCrashRun(t, simulator.Options{}, "svc-child")
	env, h := r.env, r.h

	var jobs []string
	for i, name := range []string{"Les Amis du Vélo", "Les Amis du Vélo", "Chorale du Lac"} {
		app := env.newRequest(h, association{Name: name, Contact: []string{"Anne Martin", "Paul Durand", "Léa Petit"}[i]})
		jobs = append(jobs, env.approveWith(h, app, allServices))
	}
	r.killInEachStep(rng, KindProvision, ServiceSteps)
	r.finish()

	var done []*Job
	var want []workspace
	for _, id := range jobs {
		j := env.job(id)
		if j.Status != JobSucceeded {
			t.Fatalf("job %s: %s %s", id, j.Status, j.ErrorKey)
		}
		done = append(done, j)
		want = append(want, env.workspaceOf(j))
	}
	env.checkHost(h, true, want, seeded{})
	env.checkServices(h, done, everything())
	if t.Failed() {
		t.Logf("services on the host: %+v", h.Sim.Services())
		for _, j := range done {
			t.Logf("job %s: %s", j.Plan.AssociationName, strings.Join([]string{j.State.Services.Calendar, j.State.Services.AddressBook,
				j.State.Services.TeamID, strconv.Itoa(j.State.Services.BoardID), j.State.Services.Conversation}, " "))
		}
	}
}
