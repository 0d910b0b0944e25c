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
	"testing"
	"time"

	"archipel/database"
	"archipel/database/dbtest"
	"archipel/onboarding"
	"archipel/provisioning/simulator"
)

// crashSeed is the seed of a crash test's random choices: def, or the one
// crashSeedEnv gives to replay a logged run.
func crashSeed(t *testing.T, def uint64) uint64 {
	t.Helper()
	seed := def
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	t.Logf("seed %d (set %s to replay)", seed, crashSeedEnv)
	return seed
}

// crashRun is the parent's side of a test that kills engine processes
// inside given steps: one simulated host and a database that the children
// (TestCrashChild, one at a time) share with it.
type crashRun struct {
	t      *testing.T
	ctx    context.Context
	env    *testEnv
	h      *testHost
	db     *database.DB
	dir    string
	dsn    string
	key    string
	worker string // the children's names, numbered
	logs   []string
	cmd    *exec.Cmd
}

func newCrashRun(t *testing.T, sim simulator.Options, worker string) *crashRun {
	ctx := context.Background()
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
	env := &testEnv{tb: t, ctx: ctx, DB: db, Apps: apps, Hosts: hosts, Log: &logRecorder{}, cfg: envConfig{SimOptions: sim}}
	env.Engine = NewEngine(db, hosts, apps, nil, slog.New(env.Log), testOptions(Options{}))
	r := &crashRun{t: t, ctx: ctx, env: env, db: db, dir: t.TempDir(), dsn: dsn, key: key, worker: worker}
	r.h = env.addHost("ile-numerique", "L'Île numérique", false)
	withApps(env)
	t.Cleanup(func() {
		r.kill()
		if t.Failed() && len(r.logs) > 0 {
			b, _ := os.ReadFile(r.logs[len(r.logs)-1])
			t.Logf("last child's log:\n%s", tail(string(b), 4000))
		}
	})
	return r
}

// start runs a new child engine.
func (r *crashRun) start() {
	n := len(r.logs) + 1
	log := filepath.Join(r.dir, fmt.Sprintf("child-%02d.log", n))
	f, err := os.Create(log)
	must(r.t, err)
	r.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=3m")
	r.cmd.Env = append(os.Environ(), crashDirEnv+"="+r.dir, crashDBEnv+"="+r.dsn, crashKeyEnv+"="+r.key, crashWorkerEnv+"="+r.worker+"-"+strconv.Itoa(n))
	r.cmd.Stdout, r.cmd.Stderr = f, f
	must(r.t, r.cmd.Start())
	f.Close()
	r.logs = append(r.logs, log)
}

// kill stops the running child with SIGKILL: no deferred call, no
// graceful stop.
func (r *crashRun) kill() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	}
}

// inStep reports whether a running job of that kind is at step, its first
// step not done.
func (r *crashRun) inStep(kind JobKind, step string) bool {
	var n int
	must(r.t, r.db.QueryRowContext(r.ctx, `SELECT COUNT(*) FROM provisioning_jobs j WHERE j.status = 'running' AND j.kind = $2
		AND (SELECT s.name FROM provisioning_steps s WHERE s.job_id = j.id AND s.status <> 'done' ORDER BY s.position LIMIT 1) = $1`,
		step, string(kind)).Scan(&n))
	return n > 0
}

func (r *crashRun) unfinished() int {
	var n int
	must(r.t, r.db.QueryRowContext(r.ctx, `SELECT COUNT(*) FROM provisioning_jobs WHERE status <> 'succeeded'`).Scan(&n))
	return n
}

// waitUntil polls cond, at most 30 s; false when it never held.
func (r *crashRun) waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// killInEachStep aims each round at the next of steps: a child is started,
// then killed once a job of that kind was seen in that step and the host
// answered 0 to 2 more calls, until no job is left (40 rounds at most). It
// fails the test for a step no kill landed in.
func (r *crashRun) killInEachStep(rng *rand.Rand, kind JobKind, steps []string) {
	killedIn := map[string]int{}
	for round := 0; r.unfinished() > 0 && round < 40; round++ {
		step := steps[round%len(steps)]
		r.h.Sim.SetFaults(simulator.Faults{Latency: time.Duration(3+rng.IntN(6)) * time.Millisecond})
		r.start()
		if !r.waitUntil(func() bool { return r.inStep(kind, step) || r.unfinished() == 0 }) || r.unfinished() == 0 {
			r.kill()
			continue
		}
		calls, more := r.h.Sim.Calls(), rng.IntN(3)
		r.waitUntil(func() bool { return r.h.Sim.Calls() >= calls+more || !r.inStep(kind, step) })
		if r.inStep(kind, step) {
			killedIn[step]++
		}
		r.kill()
	}
	r.t.Logf("kills inside each %s step: %v over %d children", kind, killedIn, len(r.logs))
	for _, step := range steps {
		if killedIn[step] == 0 {
			r.t.Errorf("no kill landed inside the %s step", step)
		}
	}
}

// finish lets a last child, on a host without faults, end every job.
func (r *crashRun) finish() {
	r.h.Sim.SetFaults(simulator.Faults{})
	r.start()
	if !r.waitUntil(func() bool { return r.unfinished() == 0 }) {
		r.t.Fatalf("%d jobs unfinished 30 s after the last start", r.unfinished())
	}
	r.kill()
}
