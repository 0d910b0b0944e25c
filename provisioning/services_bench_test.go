package provisioning

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"archipel/provisioning/simulator"
)

// minServiceCalls is the least number of calls the recordings allow for
// the services of one workspace on a fresh host (nc34-services/README.md),
// given that a first creation may be asked at once (its "already exists"
// says the name is taken) and that a share Nextcloud may skip in silence
// must be read back:
//
//	calendar  3  MKCALENDAR, POST share, PROPFIND (the share read back)
//	contacts  3  MKCOL, POST share, PROPFIND
//	team      2  POST create (as the association's admin), POST the group
//	board     3  POST board, POST the group's ACL, POST the admin's ACL
//	talk      1  POST the group conversation
//
// That is 12; the host's apps are read once per host at preflight (+1 per
// host). Without the read-backs, which the recordings show are needed, 10.
const minServiceCalls = 12

// BenchmarkProvision100Services provisions 100 workspaces with every service
// (files, calendar, address book, Team, board, Talk conversation) on hosts
// answering in 20 ms, with the production loop and default options, the
// politeness limit lifted to 1000 requests a second as in
// BenchmarkProvision100. It reports the calls per workspace, those of the
// services alone against minServiceCalls, and the wall time against the
// ideal (every call at 20 ms, as many at once as the engine runs jobs).
func BenchmarkProvision100Services(b *testing.B) {
	for _, hosts := range []int{1, 5} {
		b.Run(fmt.Sprintf("hosts=%d", hosts), func(b *testing.B) {
			for range b.N {
				benchmarkServices(b, 100, hosts)
			}
		})
	}
}

func benchmarkServices(b *testing.B, workspaces, hostCount int) {
	b.StopTimer()
	env := newTestEnv(b, envConfig{RPS: 1000})
	hosts := []*testHost{env.Host}
	for i := 1; i < hostCount; i++ {
		hosts = append(hosts, env.addHost(fmt.Sprintf("hebergeur-%d", i), fmt.Sprintf("Hébergeur %d", i), false))
	}
	withApps(env)
	e := NewEngine(env.DB, env.Hosts, env.Apps, env.Engine.postman, slog.New(slog.DiscardHandler), Options{Worker: "bench"})
	env.Engine = e
	for i := range workspaces {
		h := hosts[i%hostCount]
		app := env.newRequest(h, association{Name: fmt.Sprintf("Association numéro %d", i)})
		env.approveWith(h, app, allServices)
	}
	before := map[*testHost]map[string]int{}
	for _, h := range hosts {
		h.Sim.SetFaults(simulator.Faults{Latency: benchLatency})
		before[h] = h.Sim.RouteCalls()
	}
	wall := runUntilDone(b, env, e)

	calls, service := 0, 0
	for _, h := range hosts {
		for route, n := range h.Sim.RouteCalls() {
			n -= before[h][route]
			calls += n
			if isServiceRoute(route) {
				service += n
			}
		}
	}
	var failures int
	if err := env.DB.QueryRowContext(env.ctx, `SELECT COALESCE(SUM(attempts), 0) FROM provisioning_steps`).Scan(&failures); err != nil {
		b.Fatal(err)
	}
	concurrency := min(hostCount*e.opts.PerHost, e.opts.MaxJobs)
	ideal := time.Duration(calls) * benchLatency / time.Duration(concurrency)
	b.ReportMetric(float64(calls)/float64(workspaces), "calls/workspace")
	b.ReportMetric(float64(service)/float64(workspaces), "service-calls/workspace")
	b.ReportMetric(minServiceCalls, "min-service-calls/workspace")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(ideal.Seconds(), "ideal-s")
	b.ReportMetric(wall.Seconds()/ideal.Seconds(), "wall/ideal")
	b.ReportMetric(float64(failures), "step-failures")
}

// isServiceRoute tells the service steps' calls (and the app list read at
// preflight) from the files' ones.
func isServiceRoute(route string) bool {
	for _, p := range []string{"/dav/calendars", "/dav/addressbooks", "/ocs/apps/circles/", "/apps/deck/", "/ocs/apps/spreed/", "/ocs/cloud/apps"} {
		if strings.Contains(route, p) {
			return true
		}
	}
	return false
}
