package provisioning

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"archipel/provisioning/simulator"
)

// benchLatency is added to every simulated Nextcloud call: a host a few
// hundred kilometres away, answering at once.
const benchLatency = 20 * time.Millisecond

// minimalCalls (engine_test.go) is the 18-call sequence an administrator
// makes by hand for one workspace; the plan's second welcome document (fr
// and en) adds one, and each service asked for adds its own calls.

// benchLoginLatency is what verifying the login password costs on the
// 34.0.1 lab (2.0–2.7 s measured): paid once per host with a session.
const benchLoginLatency = 2 * time.Second

// BenchmarkProvision100 provisions 100 workspaces on group-folder hosts
// answering in 20 ms, with the engine's production loop (Run) and default
// options (2 jobs at once per host, 8 in all), on Nextcloud 27.1 (app
// password) and 34.0.1 (login password, 2 s per verification). The hosts'
// politeness limit is lifted to 1000 requests a second: at its default (10
// a second) it alone decides the wall time; BenchmarkProvisionAtDefaultRate
// measures that.
func BenchmarkProvision100(b *testing.B) {
	for _, g := range generations {
		for _, hosts := range []int{1, 5} {
			b.Run(fmt.Sprintf("%s/hosts=%d", g.name, hosts), func(b *testing.B) {
				benchmarkProvision(b, g.profile, 100, hosts, 1000)
			})
		}
	}
}

// BenchmarkProvisionAtDefaultRate provisions 10 workspaces on one host at
// the hosts' default politeness limit (10 requests a second).
func BenchmarkProvisionAtDefaultRate(b *testing.B) {
	benchmarkProvision(b, simulator.Profile27(), 10, 1, 0)
}

func benchmarkProvision(b *testing.B, profile simulator.Profile, workspaces, hostCount int, rps float64) {
	if !profile.AppPasswordConfirms {
		profile.LoginLatency = benchLoginLatency
	}
	for range b.N {
		b.StopTimer()
		env := newTestEnv(b, envConfig{RPS: rps, SimOptions: simulator.Options{Profile: profile}})
		hosts := []*testHost{env.Host}
		for i := 1; i < hostCount; i++ {
			hosts = append(hosts, env.addHost(fmt.Sprintf("hebergeur-%d", i), fmt.Sprintf("Hébergeur %d", i), false))
		}
		// Default options but the worker's name: the production loop as it
		// runs in the service.
		e := NewEngine(env.DB, env.Hosts, env.Apps, env.Engine.postman, slog.New(slog.DiscardHandler), Options{Worker: "bench"})
		env.Engine = e
		for i := range workspaces {
			h := hosts[i%hostCount]
			env.submitAndApprove(h, association{Name: fmt.Sprintf("Association numéro %d", i)})
		}
		calls, verified := 0, 0
		for _, h := range hosts {
			h.Sim.SetFaults(simulator.Faults{Latency: benchLatency})
			calls -= h.Sim.Calls()
			verified -= h.Sim.PasswordVerifications()
		}

		wall := runUntilDone(b, env, e)

		var failed int
		if err := env.DB.QueryRowContext(env.ctx, `SELECT COALESCE(SUM(attempts), 0) FROM provisioning_jobs`).Scan(&failed); err != nil {
			b.Fatal(err)
		}
		for _, h := range hosts {
			calls += h.Sim.Calls()
			verified += h.Sim.PasswordVerifications()
		}
		concurrency := min(hostCount*e.opts.PerHost, e.opts.MaxJobs)
		perWorkspace := float64(calls) / float64(workspaces)
		// Ideal: every call at the hosts' latency, as many at once as the
		// engine allows, plus one login per host (34) paid before the rest.
		ideal := time.Duration(calls)*benchLatency/time.Duration(concurrency) + time.Duration(verified/hostCount)*profile.LoginLatency
		b.ReportMetric(perWorkspace, "calls/workspace")
		b.ReportMetric(minimalCalls, "minimal-calls/workspace")
		b.ReportMetric(perWorkspace/minimalCalls, "calls/minimal")
		b.ReportMetric(float64(verified)/float64(hostCount), "password-verifications/host")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "wall/ideal")
		b.ReportMetric(float64(failed), "step-failures")
	}
}

// runUntilDone runs the engine's production loop, timed, until no job is
// left unfinished, and returns the wall time.
func runUntilDone(b *testing.B, env *testEnv, e *Engine) time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.StartTimer()
	began := time.Now()
	go func() {
		defer close(done)
		e.Run(ctx)
	}()
	for {
		var left int
		if err := env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM provisioning_jobs WHERE status <> 'succeeded'`).Scan(&left); err != nil {
			b.Fatal(err)
		}
		if left == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	wall := time.Since(began)
	b.StopTimer()
	cancel()
	<-done
	return wall
}
