package provisioning

import (
	"context"
	"database/sql"
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

// The crash test runs the engine in child processes (this test binary run
// again with -test.run=^TestCrashChild$) against simulators served by the
// parent, so that their state survives the children, and a database they
// all open (a SQLite file, or PostgreSQL through dbtest, where several
// replicas claim jobs at once). The parent kills a child with SIGKILL once
// it has seen that child claim a job and the hosts answer a few (random)
// of further calls, and starts another, until every workspace is
// provisioned.
const (
	crashDirEnv    = "ARCHIPEL_CRASH_DIR"
	crashDBEnv     = "ARCHIPEL_CRASH_DB"
	crashKeyEnv    = "ARCHIPEL_CRASH_KEY"
	crashWorkerEnv = "ARCHIPEL_CRASH_WORKER"
	// crashSeedEnv replays a run: its seed is logged.
	crashSeedEnv = "ARCHIPEL_CRASH_SEED"
	crashLease   = time.Second
)

// TestCrashChild is the engine process of TestProvisioningSurvivesCrashes;
// it only runs as that test's child.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestProvisioningSurvivesCrashes")
	}
	// A child whose parent died does not linger.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := database.Open(ctx, os.Getenv(crashDBEnv), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, err := ParseKey(os.Getenv(crashKeyEnv))
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	outbox := newTestOutbox(t, db, dir)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	apps := onboarding.NewStore(db, nil)
	// The hosts' default pace (10 requests a second): the politeness limit
	// is part of what runs in production.
	hosts := NewHosts(db, keyring, 0)
	e := NewEngine(db, hosts, apps, outbox.Postman(loadTemplates(t)), logger, Options{
		Worker: os.Getenv(crashWorkerEnv), Lease: crashLease, Poll: 20 * time.Millisecond,
		BaseBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, CallTimeout: 5 * time.Second,
		BaseURL: "https://archipel.test",
	})
	e.Run(ctx)
}

func TestProvisioningSurvivesCrashes(t *testing.T) {
	for i, g := range generations {
		if testing.Short() && i < len(generations)-1 {
			continue // -short (the race run in CI): the newest generation only
		}
		t.Run(g.name, func(t *testing.T) { testSurvivesCrashes(t, g.profile) })
	}
}

func testSurvivesCrashes(t *testing.T, profile simulator.Profile) {
	seed := crashSeed(t, 20250611)
	rng := rand.New(rand.NewPCG(seed, seed))

	ctx := context.Background()
	dir := t.TempDir()
	db, dsn := func() (*database.DB, string) {
		migrating.Lock()
		defer migrating.Unlock()
		return dbtest.OpenURL(t)
	}()
	installClaimAudit(t, db)
	// SQLite serves one process well; PostgreSQL is where replicas run.
	replicas := 1
	if db.Dialect == database.Postgres {
		replicas = 3
	}

	key := NewKey()
	parsed, err := ParseKey(key)
	must(t, err)
	keyring, err := NewKeyring(parsed)
	must(t, err)
	hosts := NewHosts(db, keyring, 0)
	apps := onboarding.NewStore(db, nil)
	env := &testEnv{tb: t, ctx: ctx, DB: db, Apps: apps, Hosts: hosts, Log: &logRecorder{},
		cfg: envConfig{SimOptions: simulator.Options{Profile: profile}}}
	// The parent's engine only approves; the children run the jobs.
	env.Engine = NewEngine(db, hosts, apps, nil, slog.New(env.Log), testOptions(Options{}))

	// Two hosts, one of each kind, four workspaces each; two associations
	// share a name on each host.
	withGF := env.addHost("ile-numerique", "L'Île numérique", false)
	withoutGF := env.addHost("atoll-libre", "Atoll libre", true)
	type request struct {
		host *testHost
		app  *onboarding.Application
		job  string
	}
	var requests []request
	for i, name := range []string{"Les Amis du Vélo", "Les Amis du Vélo", "Chorale du Lac", "Jardins partagés de la Croix-Rousse"} {
		for _, h := range []*testHost{withGF, withoutGF} {
			app, id := env.submitAndApprove(h, association{Name: name, Contact: []string{"Anne Martin", "Paul Durand", "Léa Petit", "Omar Benali"}[i]})
			requests = append(requests, request{h, app, id})
		}
	}
	latency := func() {
		for _, h := range env.hosts {
			h.Sim.SetFaults(simulator.Faults{Latency: time.Duration(5+rng.IntN(16)) * time.Millisecond})
		}
	}
	hostCalls := func() int {
		n := 0
		for _, h := range env.hosts {
			n += h.Sim.Calls()
		}
		return n
	}

	type child struct {
		name string
		cmd  *exec.Cmd
		log  string
	}
	var logs []string // every child's log file
	live := map[string]*child{}
	start := func() {
		n := len(logs) + 1
		c := &child{name: "child-" + strconv.Itoa(n), log: filepath.Join(dir, fmt.Sprintf("child-%02d.log", n))}
		logFile, err := os.Create(c.log)
		must(t, err)
		c.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=3m")
		c.cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashDBEnv+"="+dsn, crashKeyEnv+"="+key, crashWorkerEnv+"="+c.name)
		c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
		must(t, c.cmd.Start())
		logFile.Close()
		logs = append(logs, c.log)
		live[c.name] = c
	}
	kill := func(c *child) {
		c.cmd.Process.Kill() // SIGKILL: no deferred call, no graceful stop
		c.cmd.Wait()
		delete(live, c.name)
	}
	t.Cleanup(func() {
		for _, c := range live {
			kill(c)
		}
		if t.Failed() && len(logs) > 0 {
			b, _ := os.ReadFile(logs[len(logs)-1])
			t.Logf("last child's log:\n%s", tail(string(b), 4000))
		}
	})
	remaining := func() (jobs, steps int) {
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_jobs WHERE status <> 'succeeded'`).Scan(&jobs))
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_steps WHERE status <> 'done'`).Scan(&steps))
		return jobs, steps
	}
	// claimer returns a live child holding a job right now, or nil.
	claimer := func() *child {
		rows, err := db.QueryContext(ctx, `SELECT claimed_by FROM provisioning_jobs WHERE status = 'running' AND claimed_by <> ''`)
		must(t, err)
		defer rows.Close()
		for rows.Next() {
			var by string
			must(t, rows.Scan(&by))
			if c := live[strings.SplitN(by, "/", 2)[0]]; c != nil {
				return c
			}
		}
		must(t, rows.Err())
		return nil
	}
	// waitUntil polls an observed condition; the deadline only bounds a
	// test that went wrong.
	waitUntil := func(what string, cond func() bool) {
		deadline := time.Now().Add(time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within a minute", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	// Kill children while work remains, each after it was seen holding a
	// job and the hosts answered 0 to 7 more calls (a workspace takes about 16).
	kills := 20 + rng.IntN(21)
	var progress []string
	killed := 0
	began := time.Now()
	for range kills {
		latency()
		for len(live) < replicas {
			start()
		}
		var victim *child
		done := false
		waitUntil("claimed job", func() bool {
			if jobs, _ := remaining(); jobs == 0 {
				done = true
				return true
			}
			victim = claimer()
			return victim != nil
		})
		if done {
			break
		}
		calls, more := hostCalls(), rng.IntN(8)
		waitUntil("progress", func() bool {
			jobs, _ := remaining()
			return jobs == 0 || hostCalls() >= calls+more
		})
		_, before := remaining()
		kill(victim)
		jobs, steps := remaining()
		progress = append(progress, strconv.Itoa(steps))
		if before > 0 {
			killed++
		}
		if jobs == 0 {
			break
		}
	}
	t.Logf("%d kills during work (%d replicas) in %v; steps left after each kill: %s", killed, replicas,
		time.Since(began).Round(time.Millisecond), strings.Join(progress, " "))

	// The last children finish the work.
	latency()
	for len(live) < replicas {
		start()
	}
	waitUntil("end of the work", func() bool { jobs, _ := remaining(); return jobs == 0 })
	for _, c := range live {
		kill(c)
	}
	// The schedule aims at 20 to 40 kills; fewer than 15 during work means
	// the work outran the kills and the test proved little.
	if killed < 15 {
		t.Errorf("only %d kills landed while work remained: the test did not exercise crashes", killed)
	}

	// Every request is ready, with one workspace, and each host holds
	// exactly what was asked, nothing twice.
	want := map[*testHost][]workspace{}
	var ids []string
	for _, r := range requests {
		j := env.job(r.job)
		if j.Status != JobSucceeded {
			t.Errorf("job of %s: %s %s", r.app.Answers.Association.Name, j.Status, j.ErrorKey)
			continue
		}
		app, err := apps.Get(ctx, r.app.ID)
		must(t, err)
		if app.Status != onboarding.StatusReady {
			t.Errorf("request %s is %s", app.ID, app.Status)
		}
		w := env.workspaceOf(j)
		want[r.host] = append(want[r.host], w)
		ids = append(ids, r.host.ID+"/"+w.Group, r.host.ID+"/"+w.User, r.host.ID+"/"+w.Folder)
	}
	for i := range ids {
		for k := range i {
			if strings.EqualFold(ids[i], ids[k]) {
				t.Errorf("%s given to two requests", ids[i])
			}
		}
	}
	var workspaces int
	must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM workspaces`).Scan(&workspaces))
	if workspaces != len(requests) {
		t.Errorf("%d workspaces recorded, want %d", workspaces, len(requests))
	}
	for h, ws := range want {
		env.checkHost(h, h == withGF, ws, seeded{})
	}

	// The ready e-mail is queued in the transaction that marks the request
	// ready: exactly one per workspace, however often the children died.
	env.Outbox = newTestOutbox(t, db, dir)
	sent := map[string]int{}
	for _, m := range env.readyMails(t) {
		sent[m.To]++
	}
	for _, r := range requests {
		if n := sent[r.app.Answers.Association.ContactEmail]; n != 1 {
			t.Errorf("%d ready e-mails to %s, want 1", n, r.app.Answers.Association.ContactEmail)
		}
	}
	t.Logf("ready e-mails: %d for %d workspaces", len(env.readyMails(t)), len(requests))

	reclaims, problems := checkClaimAudit(t, db)
	for _, p := range problems {
		t.Error(p)
	}
	if reclaims == 0 {
		t.Error("no job was ever reclaimed from a dead worker: the kills never hit a running job")
	}
	t.Logf("%d jobs reclaimed after their worker died, over %d children", reclaims, len(logs))
}

// installClaimAudit records every claim of a job (an update setting it
// running for a worker) with what the job was before, so that the test can
// tell whether a job was ever taken from a worker whose lease still held.
func installClaimAudit(t *testing.T, db *database.DB) {
	t.Helper()
	queries := []string{
		`CREATE TABLE claim_audit (job_id TEXT NOT NULL, old_status TEXT NOT NULL, old_worker TEXT NOT NULL,
			old_lease TIMESTAMP, new_worker TEXT NOT NULL, claimed_at TIMESTAMP NOT NULL)`,
		`CREATE TRIGGER claim_audit AFTER UPDATE OF claimed_by ON provisioning_jobs
			WHEN NEW.status = 'running' AND NEW.claimed_by <> ''
			BEGIN
				INSERT INTO claim_audit VALUES (OLD.id, OLD.status, OLD.claimed_by, OLD.lease_until, NEW.claimed_by, NEW.updated_at);
			END`,
	}
	if db.Dialect == database.Postgres {
		queries = []string{
			`CREATE TABLE claim_audit (job_id TEXT NOT NULL, old_status TEXT NOT NULL, old_worker TEXT NOT NULL,
				old_lease TIMESTAMPTZ, new_worker TEXT NOT NULL, claimed_at TIMESTAMPTZ NOT NULL)`,
			`CREATE FUNCTION claim_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				INSERT INTO claim_audit VALUES (OLD.id, OLD.status, OLD.claimed_by, OLD.lease_until, NEW.claimed_by, NEW.updated_at);
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER claim_audit AFTER UPDATE OF claimed_by ON provisioning_jobs FOR EACH ROW
				WHEN (NEW.status = 'running' AND NEW.claimed_by <> '') EXECUTE FUNCTION claim_audit_row()`,
		}
	}
	for _, q := range queries {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("claim audit: %v", err)
		}
	}
}

// checkClaimAudit returns how many running jobs were reclaimed, and every
// claim that took a job from a live lease or from the same worker.
func checkClaimAudit(t *testing.T, db *database.DB) (int, []string) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT job_id, old_status, old_worker, old_lease, new_worker, claimed_at FROM claim_audit`)
	must(t, err)
	defer rows.Close()
	reclaims := 0
	var problems []string
	for rows.Next() {
		var job, status, oldWorker, newWorker string
		var lease sql.NullTime
		var at time.Time
		must(t, rows.Scan(&job, &status, &oldWorker, &lease, &newWorker, &at))
		if status != string(JobRunning) {
			continue
		}
		reclaims++
		if !lease.Valid || !lease.Time.Before(at) {
			problems = append(problems, fmt.Sprintf("job %s claimed by %s at %v while %s held it until %v", job, newWorker, at, oldWorker, lease.Time))
		}
		if oldWorker == newWorker {
			problems = append(problems, fmt.Sprintf("job %s reclaimed by %s, which was still running it", job, newWorker))
		}
	}
	must(t, rows.Err())
	return reclaims, problems
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
