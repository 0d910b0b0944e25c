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
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning/simulator"
)

// The crash test runs the engine in a child process (this test binary run
// again with -test.run=^TestCrashChild$) against simulators served by the
// parent, so that their state survives the child, and a SQLite file both
// processes open. The parent kills the child with SIGKILL at random moments
// and starts another, until every workspace is provisioned.
const (
	crashDirEnv    = "ARCHIPEL_CRASH_DIR"
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
	db, err := database.Open(ctx, "", dir)
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
	outbox, err := mail.NewOutbox(filepath.Join(dir, "outbox"), "Archipel <noreply@archipel.test>", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	apps := onboarding.NewStore(db, nil)
	// The hosts' default pace (10 requests a second): the politeness limit
	// is part of what runs in production.
	hosts := NewHosts(db, keyring, 0)
	e := NewEngine(db, hosts, apps, &mail.Postman{Renderer: loadTemplates(t), Sender: outbox}, logger, Options{
		Worker: os.Getenv(crashWorkerEnv), Lease: crashLease, Poll: 20 * time.Millisecond,
		BaseBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, CallTimeout: 5 * time.Second,
		BaseURL: "https://archipel.test",
	})
	e.Run(ctx)
}

func TestProvisioningSurvivesCrashes(t *testing.T) {
	seed := uint64(20250611)
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
	db, err := database.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	must(t, db.Migrate(ctx))
	installClaimAudit(t, db)

	key := NewKey()
	parsed, err := ParseKey(key)
	must(t, err)
	keyring, err := NewKeyring(parsed)
	must(t, err)
	hosts := NewHosts(db, keyring, 0)
	apps := onboarding.NewStore(db, nil)
	env := &testEnv{tb: t, ctx: ctx, DB: db, Apps: apps, Hosts: hosts, Log: &logRecorder{}}
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

	var children []string // log files
	var child *exec.Cmd
	start := func() {
		n := len(children) + 1
		logPath := filepath.Join(dir, fmt.Sprintf("child-%02d.log", n))
		logFile, err := os.Create(logPath)
		must(t, err)
		child = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=3m")
		child.Env = append(os.Environ(), crashDirEnv+"="+dir, crashKeyEnv+"="+key, crashWorkerEnv+"=child-"+strconv.Itoa(n))
		child.Stdout, child.Stderr = logFile, logFile
		must(t, child.Start())
		logFile.Close()
		children = append(children, logPath)
	}
	kill := func() {
		child.Process.Kill() // SIGKILL: no deferred call, no graceful stop
		child.Wait()
	}
	t.Cleanup(func() {
		if child != nil && child.ProcessState == nil {
			kill()
		}
		if t.Failed() && len(children) > 0 {
			b, _ := os.ReadFile(children[len(children)-1])
			t.Logf("last child's log:\n%s", tail(string(b), 4000))
		}
	})
	remaining := func() (jobs, steps int) {
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_jobs WHERE status <> 'succeeded'`).Scan(&jobs))
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_steps WHERE status <> 'done'`).Scan(&steps))
		return jobs, steps
	}

	// Kill the children while work remains; a kill after the last step
	// does not count.
	kills := 20 + rng.IntN(21)
	var progress []string
	killed := 0
	began := time.Now()
	for range kills {
		latency()
		start()
		time.Sleep(time.Duration(100+rng.IntN(800)) * time.Millisecond)
		_, before := remaining()
		kill()
		jobs, steps := remaining()
		progress = append(progress, strconv.Itoa(steps))
		if before > 0 {
			killed++
		}
		if jobs == 0 {
			break
		}
	}
	t.Logf("%d kills during work in %v; steps left after each kill: %s", killed, time.Since(began).Round(time.Millisecond), strings.Join(progress, " "))

	// The last child finishes the work.
	latency()
	start()
	deadline := time.Now().Add(40 * time.Second)
	for {
		jobs, _ := remaining()
		if jobs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still unfinished 40 s after the last restart", jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	kill()
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

	// The ready e-mail may go twice when a child dies between sending it
	// and recording it (at least once, never lost).
	outbox, err := mail.NewOutbox(filepath.Join(dir, "outbox"), "Archipel <noreply@archipel.test>", nil)
	must(t, err)
	env.Outbox = outbox
	sent := map[string]int{}
	for _, m := range env.readyMails(t) {
		sent[m.To]++
	}
	for _, r := range requests {
		if sent[r.app.Answers.Association.ContactEmail] == 0 {
			t.Errorf("no ready e-mail to %s", r.app.Answers.Association.ContactEmail)
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
	t.Logf("%d jobs reclaimed after their worker died, over %d children", reclaims, len(children))
}

// installClaimAudit records every claim of a job (an update setting it
// running for a worker) with what the job was before, so that the test can
// tell whether a job was ever taken from a worker whose lease still held.
func installClaimAudit(t *testing.T, db *database.DB) {
	t.Helper()
	for _, q := range []string{
		`CREATE TABLE claim_audit (job_id TEXT NOT NULL, old_status TEXT NOT NULL, old_worker TEXT NOT NULL,
			old_lease TIMESTAMP, new_worker TEXT NOT NULL, claimed_at TIMESTAMP NOT NULL)`,
		`CREATE TRIGGER claim_audit AFTER UPDATE OF claimed_by ON provisioning_jobs
			WHEN NEW.status = 'running' AND NEW.claimed_by <> ''
			BEGIN
				INSERT INTO claim_audit VALUES (OLD.id, OLD.status, OLD.claimed_by, OLD.lease_until, NEW.claimed_by, NEW.updated_at);
			END`,
	} {
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
