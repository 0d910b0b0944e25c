package provisioning

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// fastRPS lifts the hosts' politeness limit (10 requests a second) in the
// tests that are not about pacing, so that they run in milliseconds.
const fastRPS = 10000

// spaceKinds are the two kinds of host: with the groupfolders app, and
// without it (a folder shared with the group).
var spaceKinds = []struct {
	name         string
	groupFolders bool
}{
	{"on a host with group folders", true},
	{"on a host without group folders", false},
}

// generations are the Nextcloud versions the engine's fault table, crash
// test and call count run against: 27.1 with an app password, 34.0.1 with
// the login password of a dedicated account (a session, confirmed).
var generations = []struct {
	name    string
	profile simulator.Profile
}{
	{"Nextcloud 27.1", simulator.Profile27()},
	{"Nextcloud 34.0.1", simulator.Profile34()},
}

func TestApprovedRequestBecomesAWorkspace(t *testing.T) {
	for _, kind := range spaceKinds {
		t.Run("a workspace is provisioned "+kind.name, func(t *testing.T) {
			t.Parallel()
			// The host's default pace (10 requests a second): a step of a
			// dozen calls must not be cut short by the per-call bound.
			env := newTestEnv(t, envConfig{NoGroupFolders: !kind.groupFolders})
			h := env.Host
			app, id := env.submitAndApprove(h, association{Email: "anne.martin@amis-velo.example.org"})
			j, _ := env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("job %s: %s %s", j.Status, j.ErrorKey, j.ErrorDetail)
			}
			if f := env.Log.failures(id); len(f) > 0 {
				t.Errorf("failures on a healthy host: %q", f)
			}
			if e := env.Log.errors(); len(e) > 0 {
				t.Errorf("errors logged: %q", e)
			}
			for _, st := range j.Steps {
				if st.Status != StepStatusDone || st.Attempts != 0 {
					t.Errorf("step %s: %s after %d failures", st.Name, st.Status, st.Attempts)
				}
			}
			want := workspace{Group: "les-amis-du-velo", User: "anne.amis-velo", Folder: "Les Amis du Vélo",
				Name: "Les Amis du Vélo", Contact: "Anne Martin", Email: "anne.martin@amis-velo.example.org", QuotaBytes: 20 * GB,
				AccountQuotaBytes: DefaultAccountQuotaGB * GB}
			if got := env.workspaceOf(j); got != want {
				t.Errorf("workspace %+v, want %+v", got, want)
			}
			env.checkHost(h, kind.groupFolders, []workspace{want}, seeded{})

			got, err := env.Apps.Get(env.ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != onboarding.StatusReady {
				t.Errorf("request %s, want ready", got.Status)
			}
			var account, group, folder, login string
			var quota int64
			if err := env.DB.QueryRowContext(env.ctx, `SELECT account_id, group_id, folder, quota_bytes, login_url FROM workspaces WHERE application_id = $1`,
				app.ID).Scan(&account, &group, &folder, &quota, &login); err != nil {
				t.Fatalf("workspace row: %v", err)
			}
			if account != want.User || group != want.Group || folder != want.Folder || quota != want.QuotaBytes || login != h.NextcloudURL+"/index.php/login" {
				t.Errorf("workspace row: %s %s %s %d %s", account, group, folder, quota, login)
			}

			msgs := env.readyMails(t)
			if len(msgs) != 1 {
				t.Fatalf("%d ready e-mails, want 1", len(msgs))
			}
			m := msgs[0]
			// "de Les Amis du Vélo" reads "des Amis du Vélo" in French.
			if m.To != want.Email || !strings.Contains(m.Subject, strings.TrimPrefix(want.Name, "Les ")) {
				t.Errorf("ready e-mail to %q, subject %q", m.To, m.Subject)
			}
			for _, s := range []string{login, want.User, want.Folder, "https://archipel.test/reprendre/"} {
				if !strings.Contains(m.Text, s) {
					t.Errorf("ready e-mail does not mention %q:\n%s", s, m.Text)
				}
			}

			// The welcome documents say what the association needs to begin:
			// read as a member of the group would.
			for name, content := range env.documentsOf(t, h, j) {
				doc := string(content)
				for _, s := range []string{want.Name, want.User, want.Folder, "Administratif"} {
					if !strings.Contains(doc, s) {
						t.Errorf("%s does not mention %q", name, s)
					}
				}
				if strings.Contains(doc, "{{") || strings.Contains(doc, "<no value>") {
					t.Errorf("%s is not fully rendered:\n%s", name, doc)
				}
			}
		})
	}
}

// readyMails reads the "workspace ready" messages of the outbox.
func (env *testEnv) readyMails(t *testing.T) []mail.Parsed {
	t.Helper()
	return env.mailsTagged(t, "workspace_ready")
}

// mailsTagged reads the messages of the outbox made from one template.
func (env *testEnv) mailsTagged(t *testing.T, tag string) []mail.Parsed {
	t.Helper()
	paths, err := env.Outbox.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Parsed
	for _, p := range paths {
		m, err := mail.ReadMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		if m.Tag == tag {
			out = append(out, m)
		}
	}
	return out
}

// documentsOf downloads the welcome documents of a workspace as a member of
// its group (added last, as the association would) and checks that they are
// exactly what the plan renders.
func (env *testEnv) documentsOf(t *testing.T, h *testHost, j *Job) map[string][]byte {
	t.Helper()
	client := h.adminClient(t)
	user := simulator.DefaultAdminUser
	if j.State.GroupFolders {
		// The provisioning account no longer reaches the group folder.
		user = "member-" + j.State.GroupID
		if err := h.Sim.AddUser(simulator.Account{ID: user, Password: "member-password", Groups: []string{j.State.GroupID}}); err != nil {
			t.Fatal(err)
		}
		var err error
		client, err = nextcloud.New(nextcloud.Config{BaseURL: h.Server.URL, User: user, AppPassword: "member-password"})
		if err != nil {
			t.Fatal(err)
		}
	}
	out := map[string][]byte{}
	for _, d := range j.Plan.Documents {
		got, err := client.Download(env.ctx, user, "/"+j.State.Folder+"/"+d.Name)
		if err != nil {
			t.Fatalf("download %s: %v", d.Name, err)
		}
		want, err := renderDocument(d, j.Plan, h.Host, &j.State)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the rendered document", d.Name)
		}
		out[d.Name] = got
	}
	return out
}

// faultTarget is a call of a step that a test makes fail: the Nth call of
// a route, as the simulator names routes.
type faultTarget struct {
	step  string
	route string
	nth   int
}

// firstCalls are the first call of each step that calls the host, in a
// fresh provisioning (preflight's reads precede them all).
var firstCalls = map[bool][]faultTarget{
	true: {
		{StepPreflight, "GET /status.php", 1},
		{StepGroup, "POST /ocs/cloud/groups", 1},
		{StepAccount, "POST /ocs/cloud/users", 1},
		{StepMembership, "POST /ocs/cloud/users/{userid}/subadmins", 1},
		{StepSpace, "POST /ocs/cloud/groups", 2}, // the provisioning access group
		{StepTree, "MKCOL /dav/files", 1},
		{StepDocuments, "PUT /dav/files", 1},
		{StepRevoke, "DELETE /apps/groupfolders/folders/{id}/groups/{group}", 1},
	},
	false: {
		{StepPreflight, "GET /status.php", 1},
		{StepGroup, "POST /ocs/cloud/groups", 1},
		{StepAccount, "POST /ocs/cloud/users", 1},
		{StepMembership, "POST /ocs/cloud/users/{userid}/subadmins", 1},
		{StepSpace, "MKCOL /dav/files", 1},
		{StepTree, "MKCOL /dav/files", 2},
		{StepDocuments, "PUT /dav/files", 1},
		// Revoke and record make no call on a host without group folders.
	},
}

// actingCalls are the calls whose effect stays when their answer is lost:
// the dangerous moment for duplicates. Every call the engine makes to act
// is here: a call that avoids a look before it is covered.
var actingCalls = map[bool][]faultTarget{
	true: {
		{StepPreflight, "GET /ocs/cloud/user", 1},
		{StepGroup, "POST /ocs/cloud/groups", 1},
		{StepAccount, "POST /ocs/cloud/users", 1}, // with its group and quota
		{StepMembership, "POST /ocs/cloud/users/{userid}/subadmins", 1},
		{StepSpace, "POST /ocs/cloud/groups", 2},                // the access group, once per host
		{StepSpace, "POST /ocs/cloud/users/{userid}/groups", 1}, // the provisioning account joins it
		{StepSpace, "POST /apps/groupfolders/folders", 1},
		{StepSpace, "POST /apps/groupfolders/folders/{id}/groups", 1},
		{StepSpace, "POST /apps/groupfolders/folders/{id}/groups", 2},
		{StepSpace, "POST /apps/groupfolders/folders/{id}/quota", 1},
		{StepTree, "MKCOL /dav/files", 3},
		{StepDocuments, "PUT /dav/files", 1},
		{StepDocuments, "PUT /dav/files", 2},
		{StepRevoke, "DELETE /apps/groupfolders/folders/{id}/groups/{group}", 1},
	},
	false: {
		{StepPreflight, "GET /ocs/cloud/user", 1},
		{StepGroup, "POST /ocs/cloud/groups", 1},
		{StepAccount, "POST /ocs/cloud/users", 1},
		{StepMembership, "POST /ocs/cloud/users/{userid}/subadmins", 1},
		{StepSpace, "MKCOL /dav/files", 1},
		{StepSpace, "POST /ocs/apps/files_sharing/api/v1/shares", 1},
		{StepTree, "MKCOL /dav/files", 4},
		{StepDocuments, "PUT /dav/files", 1},
		{StepDocuments, "PUT /dav/files", 2},
	},
}

// faultKind is one way a host fails for a while.
type faultKind struct {
	name     string
	rule     simulator.FaultRule // Route and Nth are set per target
	key      string              // the reason the engine should log
	failures int                 // how many times the step should fail
	minDelay time.Duration       // the least delay before the first retry
	// maintenance turns the failing call into a maintenance window that
	// lasts for this many more calls.
	maintenance int
}

var passingFaults = []faultKind{
	{name: "a 503", rule: simulator.FaultRule{Action: simulator.Fail, Status: http.StatusServiceUnavailable},
		key: "prov.error.unavailable", failures: 1},
	{name: "a 429 with Retry-After", rule: simulator.FaultRule{Action: simulator.Fail, Status: http.StatusTooManyRequests, RetryAfter: time.Second},
		key: "prov.error.unavailable", failures: 1, minDelay: 900 * time.Millisecond},
	{name: "a call that hangs until it times out", rule: simulator.FaultRule{Action: simulator.Hang},
		key: "prov.error.unavailable", failures: 1},
	{name: "a dropped connection", rule: simulator.FaultRule{Action: simulator.Drop},
		key: "prov.error.unavailable", failures: 1},
	{name: "maintenance mode", rule: simulator.FaultRule{Action: simulator.Fail, Status: http.StatusServiceUnavailable},
		key: "prov.error.maintenance", failures: 3, maintenance: 2},
}

var lostAnswer = faultKind{name: "an answer lost after the host acted",
	rule: simulator.FaultRule{Action: simulator.Drop, AfterHandling: true}, key: "prov.error.unavailable", failures: 1}

// noKeepAlive keeps Go's transport from silently replaying a GET whose
// reused connection was dropped: every injected fault then reaches the
// engine.
var noKeepAlive = &http.Transport{DisableKeepAlives: true}

func TestPassingFailuresAreRetriedWithoutDuplicates(t *testing.T) {
	type tc struct {
		name    string
		gf      bool
		target  faultTarget
		kind    faultKind
		profile simulator.Profile
	}
	var cases []tc
	for _, g := range generations {
		for _, sk := range spaceKinds {
			for i, target := range firstCalls[sk.groupFolders] {
				for k, kind := range passingFaults {
					// -short (the race detector's run in CI) tries one kind
					// per call, each kind still on several calls.
					if testing.Short() && k != i%len(passingFaults) {
						continue
					}
					cases = append(cases, tc{fmt.Sprintf("%s: %s step recovers from %s on %s (call %d) %s", g.name, target.step, kind.name, target.route, target.nth, sk.name),
						sk.groupFolders, target, kind, g.profile})
				}
			}
			for _, target := range actingCalls[sk.groupFolders] {
				cases = append(cases, tc{fmt.Sprintf("%s: %s step recovers from %s on %s (call %d) %s", g.name, target.step, lostAnswer.name, target.route, target.nth, sk.name),
					sk.groupFolders, target, lostAnswer, g.profile})
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := envConfig{NoGroupFolders: !c.gf, RPS: fastRPS, Transport: noKeepAlive, SimOptions: simulator.Options{Profile: c.profile}}
			if c.kind.maintenance > 0 {
				cfg.Wrap = func(sim *simulator.Simulator) http.Handler {
					return &maintenanceWindow{sim: sim, calls: c.kind.maintenance}
				}
			}
			env := newTestEnv(t, cfg)
			h := env.Host
			rule := c.kind.rule
			rule.Route, rule.Nth = c.target.route, c.target.nth
			h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{rule}})
			_, id := env.submitAndApprove(h, association{})
			j, delays := env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("job %s at %s (%s): %s", j.Status, j.ErrorKey, j.ErrorDetail, strings.Join(env.Log.failures(id), "; "))
			}
			var want []string
			for range c.kind.failures {
				want = append(want, fmt.Sprintf("%s: %s (retry)", c.target.step, c.kind.key))
			}
			if got := env.Log.failures(id); !slices.Equal(got, want) {
				t.Errorf("failures %q, want %q", got, want)
			}
			if got := j.step(c.target.step).Attempts; got != c.kind.failures {
				t.Errorf("step %s failed %d times, want %d", c.target.step, got, c.kind.failures)
			}
			if c.kind.minDelay > 0 && (len(delays) == 0 || delays[0] < c.kind.minDelay) {
				t.Errorf("retried after %v, want at least %v (Retry-After)", delays, c.kind.minDelay)
			}
			env.checkHost(h, c.gf, []workspace{env.workspaceOf(j)}, seeded{})
			if j.State.GroupID != "les-amis-du-velo" || j.State.UserID != "anne.amis-velo" || j.State.Folder != "Les Amis du Vélo" {
				t.Errorf("ids %q %q %q: a retry must keep the first candidates", j.State.GroupID, j.State.UserID, j.State.Folder)
			}
			if n := len(env.readyMails(t)); n != 1 {
				t.Errorf("%d ready e-mails, want 1", n)
			}
		})
	}
}

// maintenanceWindow stands between the HTTP server and the simulator: the
// simulator's injected 503 becomes the start of a maintenance window (the
// host then answers as a Nextcloud in maintenance, status.php included) for
// the next calls, after which the host is back.
type maintenanceWindow struct {
	sim   *simulator.Simulator
	calls int

	mu   sync.Mutex
	on   bool
	left int
}

func (m *maintenanceWindow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	if m.on {
		if m.left == 0 {
			m.on = false
			m.sim.SetMaintenance(false)
		} else {
			m.left--
		}
	}
	m.mu.Unlock()
	m.sim.ServeHTTP(&maintenanceStart{ResponseWriter: w, window: m}, r)
}

// maintenanceStart turns an injected 503 (the simulator's own maintenance
// answers already carry the header) into maintenance mode.
type maintenanceStart struct {
	http.ResponseWriter
	window *maintenanceWindow
}

func (w *maintenanceStart) WriteHeader(code int) {
	const header = "X-Nextcloud-Maintenance-Mode"
	if code == http.StatusServiceUnavailable && w.Header().Get(header) == "" {
		w.Header().Set(header, "1")
		m := w.window
		m.mu.Lock()
		m.on, m.left = true, m.calls
		m.mu.Unlock()
		m.sim.SetMaintenance(true)
	}
	w.ResponseWriter.WriteHeader(code)
}

// fakeClock is the engine's and the store's clock in a test that lets
// hours pass: the test moves it to each retry's time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// useClock makes the engine and its store read c.
func (env *testEnv) useClock(c *fakeClock) {
	env.Engine.now = c.Now
	env.Engine.Jobs.now = func() time.Time { return c.Now().UTC() }
}

// productionRetries are the engine's real retry settings.
var productionRetries = Options{BaseBackoff: 2 * time.Second, MaxBackoff: 10 * time.Minute,
	RetryWindow: time.Hour, MaxRetryAfter: 15 * time.Minute}

func TestAPassingFailureThatNeverEndsNeedsAttention(t *testing.T) {
	tests := []struct {
		name  string
		gf    bool
		fault simulator.FaultRule
	}{
		{"a host answering 502 for over an hour", true,
			simulator.FaultRule{Route: "POST /ocs/cloud/users", Rate: 1, Action: simulator.Fail, Status: http.StatusBadGateway}},
		{"a host answering 502 for over an hour, without group folders", false,
			simulator.FaultRule{Route: "POST /ocs/cloud/users", Rate: 1, Action: simulator.Fail, Status: http.StatusBadGateway}},
		{"a host asking to come back in a hundred years", true,
			simulator.FaultRule{Route: "POST /ocs/cloud/users", Rate: 1, Action: simulator.Fail, Status: http.StatusTooManyRequests,
				RetryAfter: 100 * 365 * 24 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name+": retried with growing delays for an hour, then staff are told, and a retry resumes", func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, envConfig{NoGroupFolders: !tt.gf, RPS: fastRPS, Options: productionRetries})
			clock := &fakeClock{t: time.Now().UTC()}
			env.useClock(clock)
			h := env.Host
			h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{tt.fault}})
			app, id := env.submitAndApprove(h, association{})
			var j *Job
			var delays []time.Duration
			for tries := 0; ; tries++ {
				if tries > 200 {
					t.Fatalf("still retrying after %d tries: %v", tries, delays)
				}
				env.Engine.RunDue(env.ctx)
				j = env.job(id)
				if j.Status != JobRetry {
					break
				}
				if j.FailingSince.IsZero() {
					t.Fatal("a job retrying has no start of its failures")
				}
				if end := j.FailingSince.Add(time.Hour); j.NextRunAt.After(end) {
					t.Fatalf("next try at %v, after the window's end %v", j.NextRunAt, end)
				}
				delay := j.NextRunAt.Sub(clock.Now())
				if delay > 15*time.Minute {
					t.Fatalf("retry in %v: a Retry-After is capped at 15 minutes", delay)
				}
				delays = append(delays, delay)
				clock.set(j.NextRunAt)
			}
			if j.Status != JobNeedsAttention || j.ErrorKey != "prov.error.unavailable" {
				t.Fatalf("job %s %s, want needs_attention prov.error.unavailable", j.Status, j.ErrorKey)
			}
			if waited := clock.Now().Sub(j.FailingSince); waited < time.Hour {
				t.Errorf("needs attention after %v of retries, want an hour", waited)
			}
			tries := h.Sim.RouteCalls()["POST /ocs/cloud/users"]
			if st := j.step(StepAccount); st.Status != StepStatusFailed || st.Attempts != tries {
				t.Errorf("account step %s after %d attempts, want failed after %d", st.Status, st.Attempts, tries)
			}
			if tries < 4 || tries > 60 {
				t.Errorf("%d tries in the hour (delays %v): backoff out of bounds", tries, delays)
			}
			if j.FinishedAt.IsZero() {
				t.Error("a job needing attention has no finish time")
			}
			told := env.mailsTagged(t, "needs_attention")
			if len(told) != 1 || told[0].To != h.ContactEmail || !strings.Contains(told[0].Text, "/staff/requests/"+app.ID) {
				t.Errorf("needs-attention e-mails %+v, want one to %s with the request's link", told, h.ContactEmail)
			}
			// Nothing runs it again until staff ask.
			clock.set(clock.Now().Add(24 * time.Hour))
			env.Engine.RunDue(env.ctx)
			if n := h.Sim.RouteCalls()["POST /ocs/cloud/users"]; n != tries {
				t.Errorf("a job needing attention ran again: %d creations", n)
			}

			h.Sim.SetFaults(simulator.Faults{})
			if err := env.Engine.Jobs.Retry(env.ctx, testAdmin, id); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if j := env.job(id); j.step(StepAccount).Attempts != 0 || j.ErrorKey != "" || !j.FailingSince.IsZero() {
				t.Errorf("retry kept %d attempts, error %q, failures since %v", j.step(StepAccount).Attempts, j.ErrorKey, j.FailingSince)
			}
			j, _ = env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("after retry: job %s %s", j.Status, j.ErrorKey)
			}
			env.checkHost(h, tt.gf, []workspace{env.workspaceOf(j)}, seeded{})
			if got, _ := env.Apps.Get(env.ctx, app.ID); got.Status != onboarding.StatusReady {
				t.Errorf("request %s, want ready", got.Status)
			}
		})
	}
}

func TestPermanentFailuresStopAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, env *testEnv)
		step  string
		key   string
		check func(t *testing.T, env *testEnv)
	}{
		{
			name: "a wrong app password stops the job after one failed login",
			setup: func(t *testing.T, env *testEnv) {
				h := env.Host
				wrong := strings.Repeat("x", 72)
				if err := env.Hosts.SetConnection(env.ctx, testAdmin, h.ID, h.Server.URL, simulator.DefaultAdminUser, wrong, CredentialAppPassword); err != nil {
					t.Fatal(err)
				}
			},
			step: StepPreflight, key: "prov.error.unauthorized",
			check: func(t *testing.T, env *testEnv) {
				failed := 0
				for _, n := range env.Host.Sim.Snapshot().FailedLogins {
					failed += n
				}
				if failed != 1 {
					t.Errorf("%d failed logins on the host, want exactly 1: a 401 is never retried", failed)
				}
			},
		},
		{
			name: "a provisioning account that is not an administrator stops the job",
			setup: func(t *testing.T, env *testEnv) {
				h := env.Host
				if err := h.Sim.AddUser(simulator.Account{ID: "archipel", Password: "not-an-admin", Email: "archipel@host.example"}); err != nil {
					t.Fatal(err)
				}
				p := appPasswordFor(t, h.Server.URL, "archipel", "not-an-admin")
				if err := env.Hosts.SetConnection(env.ctx, testAdmin, h.ID, h.Server.URL, "archipel", p, CredentialAppPassword); err != nil {
					t.Fatal(err)
				}
			},
			step: StepPreflight, key: "prov.error.not_admin",
		},
		{
			name: "a full quota on a welcome document stops the job",
			setup: func(t *testing.T, env *testEnv) {
				env.Host.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{
					{Route: "PUT /dav/files", Nth: 1, Action: simulator.Fail, Status: http.StatusInsufficientStorage},
				}})
			},
			step: StepDocuments, key: "prov.error.quota",
			check: func(t *testing.T, env *testEnv) {
				if n := env.Host.Sim.RouteCalls()["PUT /dav/files"]; n != 1 {
					t.Errorf("%d uploads, want 1: a full quota is not retried", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, envConfig{RPS: fastRPS})
			tt.setup(t, env)
			app, id := env.submitAndApprove(env.Host, association{})
			j, _ := env.settle(id)
			if j.Status != JobFailed || j.ErrorKey != tt.key {
				t.Fatalf("job %s %s, want failed %s", j.Status, j.ErrorKey, tt.key)
			}
			if got, want := env.Log.failures(id), []string{tt.step + ": " + tt.key + " (failed)"}; !slices.Equal(got, want) {
				t.Errorf("failures %q, want %q", got, want)
			}
			if st := j.step(tt.step); st.Status != StepStatusFailed || st.Attempts != 1 || st.ErrorKey != tt.key {
				t.Errorf("step %s: %s, %d attempts, %s", tt.step, st.Status, st.Attempts, st.ErrorKey)
			}
			if j.Attempts != 1 || j.FinishedAt.IsZero() {
				t.Errorf("job attempts %d, finished %v", j.Attempts, j.FinishedAt)
			}
			calls := env.Host.Sim.Calls()
			env.Engine.RunDue(env.ctx)
			if env.Host.Sim.Calls() != calls {
				t.Error("a failed job ran again without staff asking")
			}
			if tt.check != nil {
				tt.check(t, env)
			}
			if got, _ := env.Apps.Get(env.ctx, app.ID); got.Status != onboarding.StatusProvisioning && got.Status != onboarding.StatusApproved {
				t.Errorf("request %s", got.Status)
			}
			if n := len(env.readyMails(t)); n != 0 {
				t.Errorf("%d ready e-mails for a failed job", n)
			}
		})
	}
}

func TestIDsTakenOnTheHostAreNeverAdopted(t *testing.T) {
	const email = "anne.martin@amis-velo.example.org"
	tests := []struct {
		name         string
		groupFolders bool
		seed         func(t *testing.T, h *testHost)
		before       seeded
		want         workspace
	}{
		{
			name: "a group with the wanted id and members of its own is left alone", groupFolders: true,
			seed: func(t *testing.T, h *testHost) {
				must(t, h.Sim.AddGroup("les-amis-du-velo", "Les Amis du Vélo (club)"))
				must(t, h.Sim.AddUser(simulator.Account{ID: "paul", Email: "paul@velo.example", Groups: []string{"les-amis-du-velo"}}))
			},
			before: seeded{Groups: []string{"les-amis-du-velo"}, Users: []string{"paul"}},
			want:   workspace{Group: "les-amis-du-velo-2", User: "anne.amis-velo-2", Folder: "Les Amis du Vélo"},
		},
		{
			name: "an empty group with the wanted id is not adopted either", groupFolders: false,
			seed: func(t *testing.T, h *testHost) {
				must(t, h.Sim.AddGroup("les-amis-du-velo", ""))
			},
			before: seeded{Groups: []string{"les-amis-du-velo"}},
			want:   workspace{Group: "les-amis-du-velo-2", User: "anne.amis-velo-2", Folder: "Les Amis du Vélo"},
		},
		{
			name: "an account with the wanted id is left alone", groupFolders: true,
			seed: func(t *testing.T, h *testHost) {
				must(t, h.Sim.AddUser(simulator.Account{ID: "anne.amis-velo", Email: "anne@ailleurs.example", DisplayName: "Anne Martin (autre)", Quota: "1 GB"}))
			},
			before: seeded{Users: []string{"anne.amis-velo"}},
			want:   workspace{Group: "les-amis-du-velo", User: "anne.amis-velo-2", Folder: "Les Amis du Vélo"},
		},
		{
			name: "an account with the wanted id, the same e-mail and the same name is still not adopted", groupFolders: false,
			seed: func(t *testing.T, h *testHost) {
				must(t, h.Sim.AddUser(simulator.Account{ID: "anne.amis-velo", Email: email, DisplayName: "Anne Martin"}))
			},
			before: seeded{Users: []string{"anne.amis-velo"}},
			want:   workspace{Group: "les-amis-du-velo", User: "anne.amis-velo-2", Folder: "Les Amis du Vélo"},
		},
		{
			name: "a group and an account with the wanted ids are both left alone", groupFolders: true,
			seed: func(t *testing.T, h *testHost) {
				must(t, h.Sim.AddUser(simulator.Account{ID: "anne.amis-velo-2", Email: "a2@velo.example", Groups: []string{"les-amis-du-velo"}, SubadminOf: []string{"les-amis-du-velo"}}))
			},
			before: seeded{Groups: []string{"les-amis-du-velo"}, Users: []string{"anne.amis-velo-2"}},
			want:   workspace{Group: "les-amis-du-velo-2", User: "anne.amis-velo-2-2", Folder: "Les Amis du Vélo"},
		},
		{
			// The app allows two folders with one mount point; looking for
			// the name would mean reading every folder of the host on every
			// job. The other folder keeps its groups; ours has its own id.
			name: "a group folder with the wanted name is left alone", groupFolders: true,
			seed: func(t *testing.T, h *testHost) {
				c := h.adminClient(t)
				id, err := c.CreateGroupFolder(context.Background(), "Les Amis du Vélo")
				must(t, err)
				must(t, h.Sim.AddGroup("velo-club", ""))
				must(t, c.AddGroupToFolder(context.Background(), id, "velo-club"))
			},
			before: seeded{Groups: []string{"velo-club"}, GroupFolders: []string{"Les Amis du Vélo"}},
			want:   workspace{Group: "les-amis-du-velo", User: "anne.amis-velo", Folder: "Les Amis du Vélo"},
		},
		{
			name: "a folder of the provisioning account with the wanted name is left alone", groupFolders: false,
			seed: func(t *testing.T, h *testHost) {
				must(t, h.adminClient(t).Mkdir(context.Background(), simulator.DefaultAdminUser, "/Les Amis du Vélo"))
			},
			before: seeded{AdminFiles: []string{"/Les Amis du Vélo"}},
			want:   workspace{Group: "les-amis-du-velo", User: "anne.amis-velo", Folder: "Les Amis du Vélo (2)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, envConfig{NoGroupFolders: !tt.groupFolders, RPS: fastRPS})
			h := env.Host
			tt.seed(t, h)
			before := h.Sim.Snapshot()
			_, id := env.submitAndApprove(h, association{Email: email})
			j, _ := env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("job %s %s %s", j.Status, j.ErrorKey, j.ErrorDetail)
			}
			want := tt.want
			want.Name, want.Contact, want.Email, want.QuotaBytes = "Les Amis du Vélo", "Anne Martin", email, 20*GB
			want.AccountQuotaBytes = DefaultAccountQuotaGB * GB
			if got := env.workspaceOf(j); got != want {
				t.Fatalf("workspace %+v, want %+v", got, want)
			}
			after := h.Sim.Snapshot()
			// What was there before is untouched: same members, same
			// e-mails, same folder access.
			for _, g := range before.Groups {
				if g2 := findGroup(after, g.ID); g2 == nil || !reflect.DeepEqual(*g2, g) {
					t.Errorf("pre-existing group %s changed: %+v, was %+v", g.ID, g2, g)
				}
			}
			for _, u := range before.Users {
				u2 := findUser(after, u.ID)
				if u2 == nil {
					t.Errorf("pre-existing account %s vanished", u.ID)
					continue
				}
				u.LastLogin, u2.LastLogin, u.HomeCreated, u2.HomeCreated = time.Time{}, time.Time{}, false, false
				if u.ID == simulator.DefaultAdminUser {
					continue // in the provisioning access group now
				}
				if !reflect.DeepEqual(*u2, u) {
					t.Errorf("pre-existing account %s changed: %+v, was %+v", u.ID, *u2, u)
				}
			}
			for _, f := range before.GroupFolders {
				for _, f2 := range after.GroupFolders {
					if f2.ID == f.ID && !reflect.DeepEqual(f2.Groups, f.Groups) {
						t.Errorf("pre-existing group folder %q now open to %v, was %v", f.MountPoint, f2.Groups, f.Groups)
					}
				}
			}
			env.checkHost(h, tt.groupFolders, []workspace{want}, tt.before)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func findGroup(st simulator.State, id string) *simulator.Group {
	for i := range st.Groups {
		if st.Groups[i].ID == id {
			return &st.Groups[i]
		}
	}
	return nil
}

func findUser(st simulator.State, id string) *simulator.User {
	for i := range st.Users {
		if st.Users[i].ID == id {
			return &st.Users[i]
		}
	}
	return nil
}

func TestAssociationsWithTheSameNameGetDistinctIDs(t *testing.T) {
	for _, kind := range spaceKinds {
		t.Run("two requests provisioned at once get distinct ids "+kind.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, envConfig{NoGroupFolders: !kind.groupFolders, RPS: fastRPS})
			h := env.Host
			// Some latency so that both jobs run side by side (PerHost 2).
			h.Sim.SetFaults(simulator.Faults{Latency: 2 * time.Millisecond})
			_, id1 := env.submitAndApprove(h, association{Contact: "Anne Martin"})
			_, id2 := env.submitAndApprove(h, association{Contact: "Anne Martin"})
			env.Engine.RunDue(env.ctx)
			j1, _ := env.settle(id1)
			j2, _ := env.settle(id2)
			if j1.Status != JobSucceeded || j2.Status != JobSucceeded {
				t.Fatalf("jobs %s, %s", j1.Status, j2.Status)
			}
			w1, w2 := env.workspaceOf(j1), env.workspaceOf(j2)
			got := []string{w1.Group, w1.User, w1.Folder, w2.Group, w2.User, w2.Folder}
			pairs := [][2]string{{"les-amis-du-velo", "les-amis-du-velo-2"}, {"anne.amis-velo", "anne.amis-velo-2"},
				{"Les Amis du Vélo", "Les Amis du Vélo (2)"}}
			for i, p := range pairs {
				if !sameSet([]string{got[i], got[i+3]}, p[:]) {
					t.Errorf("ids %q and %q, want %q", got[i], got[i+3], p)
				}
			}
			env.checkHost(h, kind.groupFolders, []workspace{w1, w2}, seeded{})
		})
	}
}

func TestDoubleApprovalStartsOneJob(t *testing.T) {
	t.Run("approving the same request twice is a conflict", func(t *testing.T) {
		env := newTestEnv(t, envConfig{RPS: fastRPS})
		app := env.newRequest(env.Host, association{})
		stale, err := env.Apps.Get(env.ctx, app.ID)
		must(t, err)
		id := env.approve(env.Host, app)
		for name, a := range map[string]*onboarding.Application{"the approved copy": app, "a copy read before": stale} {
			_, err := env.Engine.Approve(env.ctx, a, env.Host.Host, DefaultPlanOptions(a, env.Host.Host), testAdmin)
			if !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("approving %s again: %v, want a conflict", name, err)
			}
		}
		env.checkJobs(t, app.ID, id)
	})
	t.Run("two staff approving at once start one job and one of them gets a conflict", func(t *testing.T) {
		env := newTestEnv(t, envConfig{RPS: fastRPS})
		for round := range 5 {
			app := env.newRequest(env.Host, association{Name: fmt.Sprintf("Club %d", round)})
			var wg sync.WaitGroup
			ids := make([]string, 2)
			errs := make([]error, 2)
			start := make(chan struct{})
			for i := range 2 {
				fresh, err := env.Apps.Get(env.ctx, app.ID)
				must(t, err)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ids[i], errs[i] = env.Engine.Approve(env.ctx, fresh, env.Host.Host, DefaultPlanOptions(fresh, env.Host.Host), &accounts.User{ID: fmt.Sprintf("staff-%d", i), Email: fmt.Sprintf("staff-%d", i), Role: accounts.RoleStaff, HostID: env.Host.Host.ID})
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			var jobID string
			for i, err := range errs {
				switch {
				case err == nil:
					won++
					jobID = ids[i]
				case !errors.Is(err, apperr.ErrConflict):
					t.Errorf("round %d: the loser got %v, want a conflict", round, err)
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d approvals succeeded, want 1 (%v)", round, won, errs)
			}
			env.checkJobs(t, app.ID, jobID)
		}
		env.Engine.RunDue(env.ctx)
		var n int
		must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM workspaces`).Scan(&n))
		if n != 5 {
			t.Errorf("%d workspaces, want 5", n)
		}
	})
}

// checkJobs asserts that a request has exactly one job, with its steps once.
func (env *testEnv) checkJobs(t *testing.T, appID, jobID string) {
	t.Helper()
	var jobs, steps, events int
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM provisioning_jobs WHERE application_id = $1`, appID).Scan(&jobs))
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM provisioning_steps WHERE job_id = $1`, jobID).Scan(&steps))
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND kind = 'approved'`, appID).Scan(&events))
	if jobs != 1 || steps != len(StepNames) || events != 1 {
		t.Errorf("%d jobs, %d steps, %d approvals in the timeline; want 1, %d, 1", jobs, steps, events, len(StepNames))
	}
}

func TestCancelAndRetry(t *testing.T) {
	t.Run("a cancelled job is not run, and resumes when retried", func(t *testing.T) {
		env := newTestEnv(t, envConfig{RPS: fastRPS})
		_, id := env.submitAndApprove(env.Host, association{})
		must(t, env.Engine.Jobs.Cancel(env.ctx, testAdmin, id))
		calls := env.Host.Sim.Calls()
		env.Engine.RunDue(env.ctx)
		if j := env.job(id); j.Status != JobCancelled || j.FinishedAt.IsZero() {
			t.Fatalf("job %s, want cancelled", j.Status)
		}
		if env.Host.Sim.Calls() != calls {
			t.Error("a cancelled job called the host")
		}
		if err := env.Engine.Jobs.Cancel(env.ctx, testAdmin, id); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("cancelling twice: %v, want a conflict", err)
		}
		must(t, env.Engine.Jobs.Retry(env.ctx, testAdmin, id))
		if err := env.Engine.Jobs.Retry(env.ctx, testAdmin, id); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("retrying a pending job: %v, want a conflict", err)
		}
		j, _ := env.settle(id)
		if j.Status != JobSucceeded || !j.FinishedAt.After(j.CreatedAt) {
			t.Fatalf("job %s after retry", j.Status)
		}
		env.checkHost(env.Host, true, []workspace{env.workspaceOf(j)}, seeded{})
		if err := env.Engine.Jobs.Cancel(env.ctx, testAdmin, id); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("cancelling a finished job: %v, want a conflict", err)
		}
		if err := env.Engine.Jobs.Retry(env.ctx, testAdmin, id); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("retrying a finished job: %v, want a conflict", err)
		}
	})
	t.Run("a job cancelled while it runs stops at its next step, and resumes when retried", func(t *testing.T) {
		env := newTestEnv(t, envConfig{RPS: fastRPS})
		h := env.Host
		// The account step's first call hangs while staff cancel.
		h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{{Route: "POST /ocs/cloud/users", Nth: 1, Action: simulator.Hang}}})
		_, id := env.submitAndApprove(h, association{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			env.Engine.RunDue(env.ctx)
		}()
		waitFor(t, func() bool { return h.Sim.RouteCalls()["POST /ocs/cloud/users"] == 1 })
		must(t, env.Engine.Jobs.Cancel(env.ctx, testAdmin, id))
		<-done
		j := env.job(id)
		if j.Status != JobCancelled {
			t.Fatalf("job %s, want cancelled", j.Status)
		}
		for _, st := range j.Steps[2:] {
			if st.Status != StepStatusPending || st.Attempts != 0 {
				t.Errorf("step %s is %s after %d attempts: the cancelled worker wrote on", st.Name, st.Status, st.Attempts)
			}
		}
		if st := h.Sim.Snapshot(); len(st.Users) != 1 || len(st.GroupFolders) != 0 {
			t.Errorf("the cancelled job went on: %d accounts, %d group folders", len(st.Users), len(st.GroupFolders))
		}
		must(t, env.Engine.Jobs.Retry(env.ctx, testAdmin, id))
		j, _ = env.settle(id)
		if j.Status != JobSucceeded {
			t.Fatalf("job %s after retry", j.Status)
		}
		env.checkHost(h, true, []workspace{env.workspaceOf(j)}, seeded{})
	})
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestAWorkerThatLostItsLeaseWritesNothingMore(t *testing.T) {
	tests := []struct {
		name string
		// stale turns the job as the stalled worker claimed it into what it
		// believes when it wakes up.
		stale func(claimed, final *Job) *Job
	}{
		{"a worker stalled since its claim", func(claimed, _ *Job) *Job { return claimed }},
		{"a worker stalled in the middle of the space step", func(claimed, final *Job) *Job {
			j := *claimed
			j.Steps = slices.Clone(claimed.Steps)
			for i := range j.Steps[:4] {
				j.Steps[i].Status = StepStatusDone
			}
			j.State = final.State
			j.State.Folder, j.State.FolderID, j.State.FolderCreated, j.State.FolderTry = "", 0, false, 0
			j.State.Documents, j.State.Mailed = nil, false
			return &j
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, envConfig{RPS: fastRPS})
			h := env.Host
			_, id := env.submitAndApprove(h, association{})
			claimed, err := env.Engine.Jobs.claim(env.ctx, "stalled-worker", 30*time.Millisecond, 2, nil)
			if err != nil || claimed == nil || claimed.ID != id {
				t.Fatalf("claim: %v %v", claimed, err)
			}
			if again, _ := env.Engine.Jobs.claim(env.ctx, "other", time.Second, 2, nil); again != nil {
				t.Fatal("a job under a valid lease was claimed again")
			}
			time.Sleep(40 * time.Millisecond)
			final, _ := env.settle(id)
			if final.Status != JobSucceeded {
				t.Fatalf("job %s", final.Status)
			}

			rows := env.jobRows(t, id)
			hostBefore := comparable(h.Sim.Snapshot())
			stalled := NewEngine(env.DB, env.Hosts, env.Apps, env.Engine.postman, env.Engine.logger,
				testOptions(Options{Worker: "stalled-worker"}))
			stalled.process(env.ctx, tt.stale(claimed, final))
			if err := stalled.Jobs.extend(env.ctx, claimed, "stalled-worker", time.Minute); !errors.Is(err, errLostClaim) {
				t.Errorf("extending a lost lease: %v", err)
			}
			if got := env.jobRows(t, id); got != rows {
				t.Errorf("the stalled worker wrote:\n%s\nwas:\n%s", got, rows)
			}
			if got := comparable(h.Sim.Snapshot()); !reflect.DeepEqual(got, hostBefore) {
				t.Errorf("the stalled worker changed the host")
			}
			env.checkHost(h, true, []workspace{env.workspaceOf(final)}, seeded{})
			if n := len(env.readyMails(t)); n != 1 {
				t.Errorf("%d ready e-mails, want 1", n)
			}
		})
	}
}

// jobRows renders everything the database holds about a job.
func (env *testEnv) jobRows(t *testing.T, id string) string {
	t.Helper()
	j := env.job(id)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %s %v %v %+v\n", j.Status, j.Attempts, j.ErrorKey, j.UpdatedAt, j.FinishedAt, j.State)
	for _, st := range j.Steps {
		fmt.Fprintf(&b, "%+v\n", st)
	}
	rows, err := env.DB.QueryContext(env.ctx, `SELECT kind, nc_id FROM nextcloud_ids WHERE application_id = $1 ORDER BY kind, nc_id`, j.ApplicationID)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var kind, ncID string
		must(t, rows.Scan(&kind, &ncID))
		fmt.Fprintf(&b, "%s %s\n", kind, ncID)
	}
	var workspaces, events int
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM workspaces`).Scan(&workspaces))
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM application_events WHERE application_id = $1`, j.ApplicationID).Scan(&events))
	fmt.Fprintf(&b, "%d workspaces, %d events\n", workspaces, events)
	return b.String()
}

// comparable drops from a snapshot what reading the host changes (logins).
func comparable(st simulator.State) simulator.State {
	for i := range st.Users {
		st.Users[i].LastLogin = time.Time{}
	}
	st.FailedLogins = nil
	return st
}

// The faults that stop a job with its documents in place: the revoke step
// refused (documents done), the second upload refused (first recorded).
var (
	revokeRefused = simulator.FaultRule{Route: "DELETE /apps/groupfolders/folders/{id}/groups/{group}", Nth: 1,
		Action: simulator.Fail, Status: http.StatusForbidden}
	// The second upload is made, then refused: placed, yet not recorded.
	secondUploadRefused = simulator.FaultRule{Route: "PUT /dav/files", Nth: 2, Action: simulator.Fail, Status: http.StatusForbidden,
		AfterHandling: true}
)

func TestDocumentsTheAssociationChangedAreNotOverwritten(t *testing.T) {
	// The association edits a welcome document (or deletes it) between a
	// run of the documents step and the next one.
	edited := []byte("# Notre espace\n\nNous avons réécrit ce document.\n")
	tests := []struct {
		name         string
		groupFolders bool
		// stop is the fault that stops the job with the documents in
		// place; reset says whether the documents step must be set back
		// to pending by hand (it was done).
		stop   simulator.FaultRule
		reset  bool
		forget bool // the job's record of the documents is lost too
		delete bool // the association deleted the document instead
	}{
		{name: "a document edited after the step was done is left as it is", groupFolders: true,
			stop: revokeRefused, reset: true},
		{name: "a document edited after the step was done is left as it is, even when the job forgot it placed it", groupFolders: true,
			stop: revokeRefused, reset: true, forget: true},
		{name: "a document deleted after the step was done is not put back", groupFolders: true,
			stop: revokeRefused, reset: true, delete: true},
		{name: "a document edited while the step waits for its retry is left as it is", groupFolders: true,
			stop: secondUploadRefused},
		{name: "a document edited while the step waits for its retry is left as it is, in a shared folder", groupFolders: false,
			stop: secondUploadRefused},
		{name: "a document deleted while the step waits for its retry is not put back, in a shared folder", groupFolders: false,
			stop: secondUploadRefused, delete: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, envConfig{NoGroupFolders: !tt.groupFolders, RPS: fastRPS})
			h := env.Host
			h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{tt.stop}})
			_, id := env.submitAndApprove(h, association{})
			j, _ := env.settle(id)
			if j.Status != JobFailed || (tt.reset != (j.step(StepDocuments).Status == StepStatusDone)) {
				t.Fatalf("job %s at %s, documents %s: not stopped where the test wants", j.Status, j.ErrorKey, j.step(StepDocuments).Status)
			}
			h.Sim.SetFaults(simulator.Faults{})

			admin := h.adminClient(t)
			folder := "/" + j.State.Folder
			for _, d := range j.Plan.Documents {
				if tt.delete {
					must(t, admin.Delete(env.ctx, simulator.DefaultAdminUser, folder+"/"+d.Name))
				} else {
					must(t, admin.Upload(env.ctx, simulator.DefaultAdminUser, folder+"/"+d.Name, edited))
				}
			}
			files := func() map[string]simulator.File {
				st := h.Sim.Snapshot()
				if tt.groupFolders {
					return st.GroupFolders[0].Files
				}
				out := map[string]simulator.File{}
				for p, f := range st.Files[simulator.DefaultAdminUser] {
					if rest, ok := strings.CutPrefix(p, folder); ok {
						out[rest] = f
					}
				}
				return out
			}
			before := files()
			if tt.reset {
				_, err := env.DB.ExecContext(env.ctx, `UPDATE provisioning_steps SET status = 'pending' WHERE job_id = $1 AND name = 'documents'`, id)
				must(t, err)
			}
			if tt.forget {
				j.State.Documents = nil
				_, err := env.DB.ExecContext(env.ctx, `UPDATE provisioning_jobs SET state = $1 WHERE id = $2`, stateJSON(t, j.State), id)
				must(t, err)
			}
			must(t, env.Engine.Jobs.Retry(env.ctx, testAdmin, id))
			j, _ = env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("job %s %s after retry", j.Status, j.ErrorKey)
			}
			after := files()
			for i, d := range j.Plan.Documents {
				p := "/" + d.Name
				b, inBefore := before[p]
				a, inAfter := after[p]
				// When the step stopped between the upload of the second
				// document and its record, the job cannot tell that one
				// from a document never placed: it places it.
				recorded := tt.reset || i == 0
				switch {
				case tt.delete && recorded && inAfter:
					t.Errorf("%s was put back after the association deleted it", d.Name)
				case tt.delete && !recorded && !inAfter:
					t.Errorf("%s, never recorded as placed, was not placed", d.Name)
				case !tt.delete && (!inBefore || !inAfter):
					t.Errorf("%s missing", d.Name)
				case !tt.delete && (a.ETag != b.ETag || a.Size != int64(len(edited))):
					t.Errorf("%s was overwritten: etag %s → %s, size %d", d.Name, b.ETag, a.ETag, a.Size)
				}
			}
		})
	}
}

func stateJSON(t *testing.T, st State) string {
	t.Helper()
	b, err := json.Marshal(st)
	must(t, err)
	return string(b)
}

func TestTheServiceLoopFillsAFreedSlotAtOnce(t *testing.T) {
	// One job at a time on the host and a poll an hour away: the second
	// and third jobs start only if the end of the one before wakes the loop.
	env := newTestEnv(t, envConfig{RPS: fastRPS, Options: Options{PerHost: 1, Poll: time.Hour}})
	var ids []string
	for i := range 3 {
		_, id := env.submitAndApprove(env.Host, association{Name: fmt.Sprintf("Club %d", i)})
		ids = append(ids, id)
	}
	ctx, cancel := context.WithCancel(env.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.Engine.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, func() bool {
		for _, id := range ids {
			if env.job(id).Status != JobSucceeded {
				return false
			}
		}
		return true
	})
}

// flakySender fails its first sends like an unreachable mail server.
type flakySender struct {
	mail.Sender
	mu    sync.Mutex
	fails int
}

func (s *flakySender) Send(ctx context.Context, m mail.Message) error {
	s.mu.Lock()
	fail := s.fails > 0
	s.fails--
	s.mu.Unlock()
	if fail {
		return errors.New("dial tcp 192.0.2.1:587: connection refused")
	}
	return s.Sender.Send(ctx, m)
}

func TestTheReadyEmailWaitsInTheOutboxWhileTheMailServerFails(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	flaky := &flakySender{Sender: env.Outbox.Outbox, fails: 2}
	env.Outbox.Queue = mail.NewQueue(env.DB, flaky, slog.New(slog.DiscardHandler), mail.QueueOptions{FirstRetry: time.Millisecond, MaxRetry: time.Millisecond})
	app, id := env.submitAndApprove(env.Host, association{})
	j, _ := env.settle(id)
	if j.Status != JobSucceeded {
		t.Fatalf("job %s %s", j.Status, j.ErrorKey)
	}
	if got := env.Log.failures(id); len(got) != 0 {
		t.Errorf("failures %q: the mail server's state is not the job's", got)
	}
	// Each reading of the outbox is one delivery round: two refusals, then sent.
	var ready []mail.Parsed
	for round := 0; len(ready) == 0 && round < 100; round++ {
		ready = env.readyMails(t)
	}
	if len(ready) != 1 {
		t.Errorf("%d ready e-mails, want 1", len(ready))
	}
	var rows int
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM workspaces WHERE application_id = $1`, app.ID).Scan(&rows))
	var readyEvents int
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND kind = 'ready'`, app.ID).Scan(&readyEvents))
	if rows != 1 || readyEvents != 1 {
		t.Errorf("%d workspace rows, %d ready events; want 1 and 1", rows, readyEvents)
	}
	env.checkHost(env.Host, true, []workspace{env.workspaceOf(j)}, seeded{})
}

// minimalCalls is the sequence a careful administrator makes by hand for
// one workspace: group, account (with e-mail, group and quota), sub-admin,
// group folder, its group, its quota, temporary access, 6 folders, 1
// document, access removed; a search for the contact's address, before
// telling the association it may log in with it (Nextcloud takes an
// address as login only when one account has it); and, as the test's
// requests ask for calendars, a calendar and its share with the group (2).
const minimalCalls = 18

func TestAWorkspaceTakesAboutTheCallsMadeByHand(t *testing.T) {
	for _, g := range generations {
		t.Run(g.name, func(t *testing.T) { testCallsPerWorkspace(t, g.profile) })
	}
}

func testCallsPerWorkspace(t *testing.T, profile simulator.Profile) {
	const workspaces = 4
	env := newTestEnv(t, envConfig{RPS: fastRPS, SimOptions: simulator.Options{Profile: profile}})
	h := env.Host
	verified := h.Sim.PasswordVerifications() // the test's own set-up
	var ids []string
	for i := range workspaces {
		_, id := env.submitAndApprove(h, association{Name: fmt.Sprintf("Association numéro %d", i+1)})
		ids = append(ids, id)
	}
	env.Engine.RunDue(env.ctx)
	var want []workspace
	for _, id := range ids {
		j := env.job(id)
		if j.Status != JobSucceeded {
			t.Fatalf("job %s %s", j.Status, j.ErrorKey)
		}
		want = append(want, env.workspaceOf(j))
	}
	env.checkHost(h, true, want, seeded{})
	calls := h.Sim.RouteCalls()
	total := 0
	for _, n := range calls {
		total += n
	}
	// The plan places two welcome documents (fr, en): one more than the
	// minimal sequence's one.
	limit := float64(minimalCalls+1) * 1.2
	if per := float64(total) / workspaces; per > limit {
		t.Errorf("%.1f calls per workspace, want at most %.1f: %v", per, limit, calls)
	}
	for _, route := range []string{"GET /apps/groupfolders/folders", "PROPFIND /dav/files", "GET /ocs/cloud/groups/{groupid}",
		"PUT /ocs/cloud/users/{userid}", "GET /ocs/cloud/users/{userid}"} {
		if calls[route] != 0 {
			t.Errorf("%d calls %s, want none on a run without failures", calls[route], route)
		}
	}
	perHost := map[string]int{"GET /status.php": 1, "GET /ocs/cloud/user": 1, "POST /ocs/cloud/users/{userid}/groups": 1}
	if !profile.AppPasswordConfirms {
		perHost["GET /ocs/cloud/user"] = 2 // the session's login, then preflight's look at the account
	}
	for route, n := range perHost {
		if calls[route] != n {
			t.Errorf("%d calls %s, want %d per host", calls[route], route, n)
		}
	}
	if !profile.AppPasswordConfirms {
		// The login password is verified once per host, not per call.
		if n := h.Sim.PasswordVerifications() - verified; n != 1 {
			t.Errorf("%d password verifications for %d workspaces, want 1 (one login per host)", n, workspaces)
		}
	}
}

func TestAGracefulShutdownReleasesItsClaims(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	h := env.Host
	// The account's creation hangs while the service stops.
	h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{{Route: "POST /ocs/cloud/users", Nth: 1, Action: simulator.Hang}}})
	_, id := env.submitAndApprove(h, association{})
	ctx, stop := context.WithCancel(env.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.Engine.Run(ctx)
	}()
	waitFor(t, func() bool { return h.Sim.RouteCalls()["POST /ocs/cloud/users"] == 1 })
	stop()
	<-done
	j := env.job(id)
	if j.Status != JobRetry || !j.NextRunAt.Before(time.Now()) {
		t.Fatalf("job %s due at %v after a graceful shutdown, want released and due now", j.Status, j.NextRunAt)
	}
	if st := j.step(StepAccount); st.Attempts != 0 || st.Status != StepStatusPending {
		t.Errorf("account step %s after %d attempts: a shutdown is not a failure", st.Status, st.Attempts)
	}
	var claimedBy string
	must(t, env.DB.QueryRowContext(env.ctx, `SELECT claimed_by FROM provisioning_jobs WHERE id = $1`, id).Scan(&claimedBy))
	if claimedBy != "" {
		t.Errorf("still claimed by %q", claimedBy)
	}
	// The next start takes it at once and finishes it.
	h.Sim.SetFaults(simulator.Faults{})
	j, _ = env.settle(id)
	if j.Status != JobSucceeded {
		t.Fatalf("after restart: %s %s", j.Status, j.ErrorKey)
	}
	env.checkHost(h, true, []workspace{env.workspaceOf(j)}, seeded{})
}
