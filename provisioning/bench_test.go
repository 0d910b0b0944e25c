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

// minCallsPerWorkspace is the least number of calls the provisioning of one
// workspace on a host with group folders needs, given Nextcloud 27's API
// and the engine's rules (never adopt what it did not create, never
// overwrite a document), on a fresh host:
//
//	preflight   3  status.php (maintenance only shows there), capabilities
//	               (group folders?), current user (administrator?)
//	group       1  POST; "102 already exists" says the id is taken, and only
//	               a resumed job, which asked before, needs a GET to adopt
//	account     2  POST with groups[] (the membership comes with it), then
//	               the quota: the client sets it in a second request, as
//	               Nextcloud 27 answers 102 to a refused quota at creation
//	membership  1  promote to group administrator; the GET is only needed
//	               when resuming
//	space       5  list folders (mount points are not unique: the only way
//	               to see a foreign folder of the same name), create, add the
//	               group (the app grants it all permissions, 31), add the
//	               provisioning access group, set the quota; creating the
//	               access group and joining it happen once per host
//	tree        6  one MKCOL per folder of the template (no bulk MKCOL)
//	documents   4  per document, a PROPFIND (never overwrite) and a PUT, whose
//	               answer carries the ETag
//	revoke      1  DELETE the access group from the folder (a missing one is
//	               not an error)
//	record      0
//
// That is 23. The engine makes 32 (33 on the first workspace of a host):
// the GETs before the group and the account (+2) and before the
// membership (+1), creating the access group and reading the provisioning
// account again (+2), reading the new folder back (+1), a PROPFIND after
// each upload (+2) and a GET before revoking (+1).
const minCallsPerWorkspace = 23

// BenchmarkProvision100 provisions 100 workspaces on group-folder hosts
// answering in 20 ms, with the engine's production loop (Run) and default
// options (PerHost 2, MaxJobs 8). The hosts' politeness limit is lifted to
// 1000 requests a second: at its default (10 a second) it alone decides the
// wall time; BenchmarkProvisionAtDefaultRate measures that.
func BenchmarkProvision100(b *testing.B) {
	for _, hosts := range []int{1, 5} {
		b.Run(fmt.Sprintf("hosts=%d", hosts), func(b *testing.B) {
			benchmarkProvision(b, 100, hosts, 1000)
		})
	}
}

// BenchmarkProvisionAtDefaultRate provisions 10 workspaces on one host at
// the hosts' default politeness limit (10 requests a second).
func BenchmarkProvisionAtDefaultRate(b *testing.B) {
	benchmarkProvision(b, 10, 1, 0)
}

func benchmarkProvision(b *testing.B, workspaces, hostCount int, rps float64) {
	for range b.N {
		b.StopTimer()
		env := newTestEnv(b, envConfig{RPS: rps})
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
		calls := 0
		for _, h := range hosts {
			h.Sim.SetFaults(simulator.Faults{Latency: benchLatency})
			calls -= h.Sim.Calls()
		}

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

		var failed int
		if err := env.DB.QueryRowContext(env.ctx, `SELECT COALESCE(SUM(attempts), 0) FROM provisioning_jobs`).Scan(&failed); err != nil {
			b.Fatal(err)
		}
		for _, h := range hosts {
			calls += h.Sim.Calls()
		}
		concurrency := min(hostCount*e.opts.PerHost, e.opts.MaxJobs)
		perWorkspace := float64(calls) / float64(workspaces)
		ideal := time.Duration(calls) * benchLatency / time.Duration(concurrency)
		b.ReportMetric(perWorkspace, "calls/workspace")
		b.ReportMetric(minCallsPerWorkspace, "min-calls/workspace")
		b.ReportMetric(perWorkspace/minCallsPerWorkspace, "calls/min")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "wall/ideal")
		b.ReportMetric(float64(failed), "step-failures")
	}
}
