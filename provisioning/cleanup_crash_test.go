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
	seed := uint64(20261204)
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed+13))
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
	env := &testEnv{tb: t, ctx: ctx, DB: db, Apps: apps, Hosts: hosts, Log: &logRecorder{},
		cfg: envConfig{SimOptions: simulator.Options{Profile: profile}}}
	env.Engine = NewEngine(db, hosts, apps, nil, slog.New(env.Log), testOptions(Options{}))
	h := env.addHost("ile-numerique", "L'Île numérique", false)
	withApps(env)

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

	var logs []string
	var cmd *exec.Cmd
	start := func() {
		n := len(logs) + 1
		log := filepath.Join(dir, fmt.Sprintf("child-%02d.log", n))
		f, err := os.Create(log)
		must(t, err)
		cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=3m")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashDBEnv+"="+dsn, crashKeyEnv+"="+key, crashWorkerEnv+"=erase-child-"+strconv.Itoa(n))
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
	// inStep reports whether a claimed clean-up's next step is step.
	inStep := func(step string) bool {
		var n int
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_jobs j WHERE j.status = 'running' AND j.kind = 'cleanup'
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

	killedIn := map[string]int{}
	for round := 0; unfinished() > 0 && round < 40; round++ {
		step := CleanupStepNames[round%len(CleanupStepNames)]
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
	t.Logf("kills inside each clean-up step: %v over %d children", killedIn, len(logs))
	for _, step := range CleanupStepNames {
		if killedIn[step] == 0 {
			t.Errorf("no kill landed inside the %s step", step)
		}
	}

	h.Sim.SetFaults(simulator.Faults{})
	start()
	if !waitUntil(func() bool { return unfinished() == 0 }) {
		t.Fatalf("%d jobs unfinished 30 s after the last start", unfinished())
	}
	kill()
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
