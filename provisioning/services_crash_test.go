package provisioning

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"archipel/database"
	"archipel/database/dbtest"
	"archipel/onboarding"
	"archipel/provisioning/simulator"
)

// TestServiceStepsSurviveAKillInEachStep runs the engine in child processes
// (TestCrashChild) and kills one with SIGKILL while a job is inside each
// service step (calendar, contacts, team, board, talk), several times, a
// few host calls into the step, until every workspace is provisioned: each
// association then has exactly one calendar, one address book, one Team,
// one board and one conversation, each shared once with its group.
func TestServiceStepsSurviveAKillInEachStep(t *testing.T) {
	seed := uint64(20261204)
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("seed %d (set %s to replay)", seed, crashSeedEnv)

	ctx := context.Background()
	dir := t.TempDir()
	db, dsn := func() (*database.DB, string) {
		migrating.Lock()
		defer migrating.Unlock()
		return dbtest.OpenURL(t)
	}()
	key := NewKey()
	parsed, err := ParseKey(key)
	must(t, err)
	keyring, err := NewKeyring(parsed)
	must(t, err)
	hosts := NewHosts(db, keyring, 0)
	apps := onboarding.NewStore(db, nil)
	env := &testEnv{tb: t, ctx: ctx, DB: db, Apps: apps, Hosts: hosts, Log: &logRecorder{}}
	env.Engine = NewEngine(db, hosts, apps, nil, slog.New(env.Log), testOptions(Options{}))
	h := env.addHost("ile-numerique", "L'Île numérique", false)
	withApps(env)

	var jobs []string
	for i, name := range []string{"Les Amis du Vélo", "Les Amis du Vélo", "Chorale du Lac"} {
		app := env.newRequest(h, association{Name: name, Contact: []string{"Anne Martin", "Paul Durand", "Léa Petit"}[i]})
		jobs = append(jobs, env.approveWith(h, app, allServices))
	}

	var logs []string
	var cmd *exec.Cmd
	start := func() {
		n := len(logs) + 1
		log := filepath.Join(dir, fmt.Sprintf("child-%02d.log", n))
		f, err := os.Create(log)
		must(t, err)
		cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=3m")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashDBEnv+"="+dsn, crashKeyEnv+"="+key, crashWorkerEnv+"=svc-child-"+strconv.Itoa(n))
		cmd.Stdout, cmd.Stderr = f, f
		must(t, cmd.Start())
		f.Close()
		logs = append(logs, log)
	}
	kill := func() {
		if cmd != nil && cmd.ProcessState == nil {
			cmd.Process.Kill() // SIGKILL
			cmd.Wait()
		}
	}
	t.Cleanup(func() {
		kill()
		if t.Failed() && len(logs) > 0 {
			b, _ := os.ReadFile(logs[len(logs)-1])
			t.Logf("last child's log:\n%s", tail(string(b), 4000))
		}
	})
	// inStep reports whether a running job's next step is step.
	inStep := func(step string) bool {
		var n int
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_jobs j WHERE j.status = 'running'
			AND (SELECT s.name FROM provisioning_steps s WHERE s.job_id = j.id AND s.status <> 'done' ORDER BY s.position LIMIT 1) = $1`,
			step).Scan(&n))
		return n > 0
	}
	unfinished := func() int {
		var n int
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_jobs WHERE status <> 'succeeded'`).Scan(&n))
		return n
	}
	waitUntil := func(cond func() bool) bool {
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(time.Millisecond)
		}
		return true
	}

	// Each round aims at the next service step: a child is started, killed
	// once a job was seen in that step and the host answered 0 to 2 more
	// calls (a service step makes 3 or 4).
	killedIn := map[string]int{}
	for round := 0; unfinished() > 0 && round < 40; round++ {
		step := ServiceSteps[round%len(ServiceSteps)]
		h.Sim.SetFaults(simulator.Faults{Latency: time.Duration(3+rng.IntN(6)) * time.Millisecond})
		start()
		if !waitUntil(func() bool { return inStep(step) || unfinished() == 0 }) || unfinished() == 0 {
			kill()
			continue
		}
		calls, more := h.Sim.Calls(), rng.IntN(3)
		waitUntil(func() bool { return h.Sim.Calls() >= calls+more || !inStep(step) })
		if inStep(step) {
			killedIn[step]++
		}
		kill()
	}
	t.Logf("kills inside each service step: %v over %d children", killedIn, len(logs))
	for _, step := range ServiceSteps {
		if killedIn[step] == 0 {
			t.Errorf("no kill landed inside the %s step", step)
		}
	}

	// The last child finishes the work.
	h.Sim.SetFaults(simulator.Faults{})
	start()
	if !waitUntil(func() bool { return unfinished() == 0 }) {
		t.Fatalf("%d jobs unfinished 30 s after the last start", unfinished())
	}
	kill()
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
