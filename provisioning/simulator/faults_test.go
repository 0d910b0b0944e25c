package simulator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFaultLatency(t *testing.T) {
	tests := []struct {
		name    string
		latency time.Duration
	}{
		{"a call without configured latency answers at once", 0},
		{"a call waits for the configured latency before answering", 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newServer(t, Options{})
			sim.SetFaults(Faults{Latency: tt.latency})
			start := time.Now()
			mustSend(t, srv, request{method: "GET", path: "/status.php"}, http.StatusOK)
			elapsed := time.Since(start)
			if elapsed < tt.latency {
				t.Errorf("answered after %v, want at least %v", elapsed, tt.latency)
			}
			if tt.latency == 0 && elapsed > 100*time.Millisecond {
				t.Errorf("answered after %v without latency", elapsed)
			}
		})
	}
}

func TestFaultLatencyGivesUpWhenTheClientDoes(t *testing.T) {
	sim, srv := newServer(t, Options{})
	sim.SetFaults(Faults{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/status.php", nil)
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's deadline", err)
	}
}

func TestFaultNthCall(t *testing.T) {
	status := request{method: "GET", path: "/status.php"}
	createGroup := func(id string) request {
		return asAdmin("POST", "/ocs/v2.php/cloud/groups?format=json", "groupid="+id)
	}
	tests := []struct {
		name  string
		rule  FaultRule
		calls []request
		want  []int
	}{
		{
			name:  "the third call of any route fails with the chosen status",
			rule:  FaultRule{Nth: 3, Status: http.StatusServiceUnavailable},
			calls: []request{status, status, status, status},
			want:  []int{200, 200, 503, 200},
		},
		{
			name:  "the second call on a matching route fails while other routes pass",
			rule:  FaultRule{Route: "POST /ocs/cloud/groups", Nth: 2, Status: http.StatusInternalServerError},
			calls: []request{createGroup("a"), status, status, createGroup("b"), createGroup("c")},
			want:  []int{200, 200, 200, 500, 200},
		},
		{
			name:  "a glob route matches WebDAV calls only",
			rule:  FaultRule{Route: "* /dav/*", Nth: 1, Status: http.StatusBadGateway},
			calls: []request{status, {method: "PROPFIND", path: "/remote.php/dav/files/admin/", user: "admin", pass: testAdminPassword}},
			want:  []int{200, 502},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newServer(t, Options{})
			sim.SetFaults(Faults{Rules: []FaultRule{tt.rule}})
			for i, rq := range tt.calls {
				if code, body := send(t, srv, rq); code != tt.want[i] {
					t.Errorf("call %d (%s %s): status %d, want %d; body %.200s", i+1, rq.method, rq.path, code, tt.want[i], body)
				}
			}
		})
	}
}

func TestFaultRetryAfter(t *testing.T) {
	sim, srv := newServer(t, Options{})
	sim.SetFaults(Faults{Rules: []FaultRule{{Rate: 1, Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond}}})
	res, _ := sendFull(t, srv, request{method: "GET", path: "/status.php"})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", res.StatusCode)
	}
	if got := res.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want whole seconds rounded up (2)", got)
	}
}

func TestFaultRateIsDeterministic(t *testing.T) {
	pattern := func(t *testing.T, seed int64) string {
		t.Helper()
		sim, srv := newServer(t, Options{})
		sim.SetFaults(Faults{Seed: seed, Rules: []FaultRule{{Route: "GET /status.php", Rate: 0.5, Status: 503}}})
		var b strings.Builder
		for range 40 {
			if code, _ := send(t, srv, request{method: "GET", path: "/status.php"}); code == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, again := pattern(t, 42), pattern(t, 42)
	if first != again {
		t.Errorf("same seed gave different failures:\n%s\n%s", first, again)
	}
	if n := strings.Count(first, "x"); n == 0 || n == len(first) {
		t.Errorf("rate 0.5 failed %d of %d calls", n, len(first))
	}
}

func TestFaultHangHonoursTheRequestContext(t *testing.T) {
	sim, srv := newServer(t, Options{})
	sim.SetFaults(Faults{Rules: []FaultRule{{Rate: 1, Action: Hang}}})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/status.php", nil)
	start := time.Now()
	_, err := srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's deadline", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("hung call released after %v", elapsed)
	}
}

func TestFaultHangEndsWhenTheHandlerContextIsCancelled(t *testing.T) {
	sim := New(Options{})
	sim.SetFaults(Faults{Rules: []FaultRule{{Rate: 1, Action: Hang}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sim.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/status.php", nil).WithContext(ctx))
	}()
	select {
	case <-done:
		t.Fatal("the call returned before its context was cancelled")
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("the call still hangs after its context was cancelled")
	}
}

func TestFaultDrop(t *testing.T) {
	tests := []struct {
		name        string
		after       bool
		wantCreated bool
	}{
		{"a dropped call never reaches the state", false, false},
		{"a call dropped after handling keeps its effect", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newServer(t, Options{})
			sim.SetFaults(Faults{Rules: []FaultRule{{Route: "POST /ocs/*", Rate: 1, Action: Drop, AfterHandling: tt.after}}})
			req, _ := http.NewRequest("POST", srv.URL+"/ocs/v2.php/cloud/groups", strings.NewReader("groupid=dropped"))
			req.SetBasicAuth("admin", testAdminPassword)
			req.Header.Set("OCS-APIRequest", "true")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := srv.Client().Do(req)
			if err == nil {
				res.Body.Close()
				t.Fatalf("got status %d, want a broken connection", res.StatusCode)
			}
			created := false
			for _, g := range sim.Snapshot().Groups {
				created = created || g.ID == "dropped"
			}
			if created != tt.wantCreated {
				t.Errorf("group created: %v, want %v", created, tt.wantCreated)
			}
		})
	}
}

func TestFaultAfterHandlingLosesTheAnswerOnly(t *testing.T) {
	sim, srv := newServer(t, Options{})
	sim.SetFaults(Faults{Rules: []FaultRule{{Route: "POST /ocs/cloud/groups", Nth: 1, Status: 502, AfterHandling: true}}})
	create := asAdmin("POST", "/ocs/v2.php/cloud/groups?format=json", "groupid=twice")
	mustSend(t, srv, create, http.StatusBadGateway)
	body := mustSend(t, srv, create, http.StatusBadRequest)
	if code, msg, _ := ocsStatus(body); code != 102 || msg != "group exists" {
		t.Errorf("retry answered %d %q, want 102 \"group exists\"", code, msg)
	}
}

func TestCallCounts(t *testing.T) {
	sim, srv := newServer(t, Options{})
	mustSend(t, srv, request{method: "GET", path: "/status.php"}, 200)
	mustSend(t, srv, asAdmin("GET", "/ocs/v1.php/cloud/users/admin", ""), 200)
	mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/cloud/users/admin?format=json", ""), 200)
	mustSend(t, srv, request{method: "GET", path: "/_archipel/state"}, 200)
	if got := sim.Calls(); got != 3 {
		t.Errorf("Calls() = %d, want 3 (the state page is not counted)", got)
	}
	want := map[string]int{"GET /status.php": 1, "GET /ocs/cloud/users/{userid}": 2}
	got := sim.RouteCalls()
	for route, n := range want {
		if got[route] != n {
			t.Errorf("RouteCalls()[%q] = %d, want %d (all: %v)", route, got[route], n, got)
		}
	}
}
