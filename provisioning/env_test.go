package provisioning

// The test environment shared by engine_test.go, crash_test.go and
// bench_test.go: a fresh database, partner hosts whose Nextcloud is the
// simulator served by httptest, submitted requests and an engine with tiny
// delays.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"archipel/database"
	"archipel/database/dbtest"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
	"archipel/templates"
)

// testEnv is one fresh database with its hosts, request store and engine.
type testEnv struct {
	tb     testing.TB
	ctx    context.Context
	DB     *database.DB
	Apps   *onboarding.Store
	Hosts  *Hosts
	Engine *Engine
	Outbox *testOutbox
	Log    *logRecorder
	// Host is the first partner host; more are added with addHost.
	Host  *testHost
	hosts []*testHost
	cfg   envConfig
}

// testHost is a partner host and the simulated Nextcloud it points to.
type testHost struct {
	*Host
	Sim      *simulator.Simulator
	Server   *httptest.Server
	Password string // the administrator's login password
}

// envConfig tunes a testEnv; the zero value is the usual test setup.
type envConfig struct {
	// NoGroupFolders runs the first host without the groupfolders app.
	NoGroupFolders bool
	// Options override the engine's test defaults field by field.
	Options Options
	// RPS is the per-host request rate (Hosts' default when zero).
	RPS float64
	// Wrap, when set, stands between the HTTP server and the simulator.
	Wrap func(*simulator.Simulator) http.Handler
	// Transport replaces the engine's HTTP transport to the hosts.
	Transport http.RoundTripper
	// SimOptions are given to every simulator (AdminPassword and
	// DisableGroupFolders are set by the environment). With a profile that
	// refuses app passwords for management (Profile34), hosts are
	// connected with the login password.
	SimOptions simulator.Options
	// AppPasswordOn34 connects hosts with an app password whatever the
	// profile, as a host that has not followed the how-to would.
	AppPasswordOn34 bool
}

var (
	migrating     sync.Mutex
	templatesOnce sync.Once
	templateSet   *templates.Set
	templatesErr  error
)

func loadTemplates(tb testing.TB) *templates.Set {
	tb.Helper()
	templatesOnce.Do(func() { templateSet, templatesErr = templates.Load() })
	if templatesErr != nil {
		tb.Fatalf("load templates: %v", templatesErr)
	}
	return templateSet
}

// testKeyring is a keyring with a fresh random key.
func testKeyring(tb testing.TB) *Keyring {
	tb.Helper()
	key, err := ParseKey(NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	k, err := NewKeyring(key)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// testOptions are the engine options of the tests: tiny backoffs and
// timeouts, so that retries happen within milliseconds.
func testOptions(o Options) Options {
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	set(&o.BaseBackoff, time.Millisecond)
	set(&o.MaxBackoff, 5*time.Millisecond)
	set(&o.Lease, 2*time.Second)
	// Long enough that only a hung call (the Hang fault) reaches it, even
	// on a loaded machine: a healthy call took over 500 ms there.
	callTimeout := 1500 * time.Millisecond
	if raceDetector {
		callTimeout = 3 * time.Second
	}
	set(&o.CallTimeout, callTimeout)
	set(&o.Poll, 10*time.Millisecond)
	if o.Worker == "" {
		o.Worker = "test-" + uuid.NewString()[:8]
	}
	if o.BaseURL == "" {
		o.BaseURL = "https://archipel.test"
	}
	return o
}

// newTestEnv builds a fresh database (SQLite, or PostgreSQL when
// ARCHIPEL_TEST_POSTGRES is set), one partner host connected to a
// simulator with an app password, and an engine.
func newTestEnv(tb testing.TB, cfg envConfig) *testEnv {
	tb.Helper()
	ctx := context.Background()
	// One migration at a time: on PostgreSQL, goose's migration lock is
	// server-wide and a waiting migration polls it every five seconds.
	db := func() *database.DB {
		migrating.Lock()
		defer migrating.Unlock()
		return dbtest.Open(tb)
	}()
	outbox := newTestOutbox(tb, db, tb.TempDir())
	env := &testEnv{tb: tb, ctx: ctx, DB: db, Outbox: outbox, Log: &logRecorder{}, cfg: cfg}
	env.Apps = onboarding.NewStore(db, nil)
	env.Hosts = NewHosts(db, testKeyring(tb), cfg.RPS)
	env.Hosts.Transport = cfg.Transport
	postman := outbox.Postman(loadTemplates(tb))
	env.Engine = NewEngine(db, env.Hosts, env.Apps, postman, slog.New(env.Log), testOptions(cfg.Options))
	env.Host = env.addHost("ile-numerique", "L'Île numérique", cfg.NoGroupFolders)
	return env
}

// addHost adds a partner host with its own simulated Nextcloud and connects
// it as an operator would: an app password obtained from the login.
func (env *testEnv) addHost(slug, name string, noGroupFolders bool) *testHost {
	tb := env.tb
	tb.Helper()
	opts := env.cfg.SimOptions
	opts.AdminPassword = "admin-" + uuid.NewString()
	opts.DisableGroupFolders = noGroupFolders
	opts.MailEnabled = true
	sim := simulator.New(opts)
	var handler http.Handler = sim
	if env.cfg.Wrap != nil {
		handler = env.cfg.Wrap(sim)
	}
	srv := httptest.NewServer(handler)
	// Cleanups run last in, first out: hung calls are released before the
	// server waits for its handlers.
	tb.Cleanup(srv.Close)
	tb.Cleanup(sim.Close)
	id := "host-" + slug
	now := time.Now().UTC()
	if _, err := env.DB.ExecContext(env.ctx, `INSERT INTO hosts (id, slug, name, website, help_url, contact_email, departements, services, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, '*', 'files,calendars,contacts', $7, $7)`,
		id, slug, name, "https://"+slug+".example", "https://"+slug+".example/aide", "contact@"+slug+".example", now); err != nil {
		tb.Fatalf("insert host: %v", err)
	}
	secret, kind := appPasswordFor(tb, srv.URL, simulator.DefaultAdminUser, opts.AdminPassword), CredentialAppPassword
	if !sim.Profile().AppPasswordConfirms && !env.cfg.AppPasswordOn34 {
		// Nextcloud 33+ refuses management calls made with an app password:
		// the host gives the login password of its provisioning account.
		secret, kind = opts.AdminPassword, CredentialLoginPassword
	}
	if err := env.Hosts.SetConnection(env.ctx, testAdmin, id, srv.URL, simulator.DefaultAdminUser, secret, kind); err != nil {
		tb.Fatalf("set connection: %v", err)
	}
	h, err := env.Hosts.Get(env.ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	th := &testHost{Host: h, Sim: sim, Server: srv, Password: opts.AdminPassword}
	env.hosts = append(env.hosts, th)
	return th
}

// appPasswordFor exchanges a login password for an app password.
func appPasswordFor(tb testing.TB, url, user, password string) string {
	tb.Helper()
	c, err := nextcloud.New(nextcloud.Config{BaseURL: url})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := c.AppPasswordFromLogin(context.Background(), user, password)
	if err != nil {
		tb.Fatalf("app password of %s: %v", user, err)
	}
	return p
}

// adminClient is a Nextcloud client acting as the host's administrator,
// for the test's own look at the host.
func (th *testHost) adminClient(tb testing.TB) *nextcloud.Client {
	tb.Helper()
	c, err := nextcloud.New(nextcloud.Config{BaseURL: th.Server.URL, User: simulator.DefaultAdminUser, AppPassword: th.Password})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// association is what a test varies in a request.
type association struct {
	Name, Email, Contact string
}

// newRequest inserts a submitted request with verified contact address,
// through the store as the sign-up flow does, choosing host h.
func (env *testEnv) newRequest(h *testHost, a association) *onboarding.Application {
	tb := env.tb
	tb.Helper()
	ctx := env.ctx
	if a.Name == "" {
		a.Name = "Les Amis du Vélo"
	}
	if a.Email == "" {
		a.Email = "anne." + uuid.NewString()[:8] + "@amis-velo.example.org"
	}
	if a.Contact == "" {
		a.Contact = "Anne Martin"
	}
	first := onboarding.AssociationStep{Name: a.Name, LegalForm: "loi1901", Postcode: "69001", Town: "Lyon",
		Website: "amis-velo.example.org", Purpose: "Promouvoir le vélo en ville", Sector: "sport", ContactEmail: a.Email}
	mustValid(tb, "association", first.Validate())
	app, _, err := env.Apps.Create(ctx, "fr", first)
	if err != nil {
		tb.Fatalf("create request: %v", err)
	}
	members := onboarding.MembersStep{Members: "40", Volunteers: "12", Employees: "0", ContactName: a.Contact,
		ContactRole: "présidente", ContactPhone: "06 12 34 56 78"}
	mustValid(tb, "members", members.Validate())
	app.Answers.Members = members
	mustSave(tb, env.Apps.Save(ctx, app, onboarding.StepMembers))
	tools := onboarding.ToolsStep{Tools: []string{"google_drive", "whatsapp"}, Problems: "Fichiers éparpillés", DataGB: "5"}
	mustValid(tb, "tools", tools.Validate())
	app.Answers.Tools = tools
	mustSave(tb, env.Apps.Save(ctx, app, onboarding.StepTools))
	needs := onboarding.NeedsStep{Services: []string{"files", "calendars"}, Accounts: "10", StorageGB: "20", When: "asap", Training: "yes"}
	mustValid(tb, "needs", needs.Validate())
	app.Answers.Needs = needs
	mustSave(tb, env.Apps.Save(ctx, app, onboarding.StepNeeds))
	hosts := []onboarding.Host{{ID: h.ID, Slug: h.Slug, Name: h.Name, Departements: []string{"*"}}}
	choice := onboarding.HostStep{Choice: h.Slug, Contribution: "free"}
	mustValid(tb, "host", choice.Validate(hosts))
	app.Answers.Host = choice
	mustSave(tb, env.Apps.Save(ctx, app, onboarding.StepHost))
	consent := onboarding.ConsentStep{DataProcessing: "yes", HostTerms: "yes", FollowUp: "yes"}
	mustValid(tb, "consent", consent.Validate())
	app.Answers.Consent = consent
	mustSave(tb, env.Apps.Save(ctx, app, onboarding.StepReview))
	if err := env.Apps.Verify(ctx, app); err != nil {
		tb.Fatalf("verify: %v", err)
	}
	if err := env.Apps.Submit(ctx, app, hosts); err != nil {
		tb.Fatalf("submit: %v", err)
	}
	return app
}

func mustValid(tb testing.TB, step string, fe onboarding.FieldErrors) {
	tb.Helper()
	if len(fe) > 0 {
		tb.Fatalf("answers of step %s refused: %v", step, fe)
	}
}

func mustSave(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("save answers: %v", err)
	}
}

// approve approves a request on host h with the host's default plan and
// returns its job's id.
func (env *testEnv) approve(h *testHost, app *onboarding.Application) string {
	env.tb.Helper()
	id, err := env.Engine.Approve(env.ctx, app, h.Host, DefaultPlanOptions(app, h.Host), testAdmin)
	if err != nil {
		env.tb.Fatalf("approve: %v", err)
	}
	return id
}

// submitAndApprove is newRequest then approve.
func (env *testEnv) submitAndApprove(h *testHost, a association) (*onboarding.Application, string) {
	env.tb.Helper()
	app := env.newRequest(h, a)
	return app, env.approve(h, app)
}

// job reads a job with its steps.
func (env *testEnv) job(id string) *Job {
	env.tb.Helper()
	j, err := env.Engine.Jobs.Get(env.ctx, id)
	if err != nil {
		env.tb.Fatalf("get job %s: %v", id, err)
	}
	return j
}

// step returns a job's step by name.
func (j *Job) step(name string) StepState {
	for _, st := range j.Steps {
		if st.Name == name {
			return st
		}
	}
	return StepState{}
}

// settle runs the engine until job id succeeds or stops, bringing forward
// every retry it schedules so that the test never sleeps through a backoff
// or a Retry-After. It returns the job and the delays the engine chose.
func (env *testEnv) settle(id string) (*Job, []time.Duration) {
	env.tb.Helper()
	var delays []time.Duration
	for range 200 {
		env.Engine.RunDue(env.ctx)
		j := env.job(id)
		switch j.Status {
		case JobRetry:
			delays = append(delays, j.NextRunAt.Sub(j.UpdatedAt))
			env.bringForward(id)
		case JobPending, JobRunning:
			// Not due yet (a host full of other jobs, or a lease to expire).
			time.Sleep(5 * time.Millisecond)
		default:
			return j, delays
		}
	}
	env.tb.Fatalf("job %s did not settle", id)
	return nil, nil
}

// bringForward makes a job waiting for its retry due now.
func (env *testEnv) bringForward(id string) {
	env.tb.Helper()
	if _, err := env.DB.ExecContext(env.ctx, `UPDATE provisioning_jobs SET next_run_at = $1 WHERE id = $2 AND status = 'retry'`,
		time.Now().UTC().Add(-time.Millisecond), id); err != nil {
		env.tb.Fatal(err)
	}
}

// logRecorder is a slog handler keeping the engine's records, so that a
// test can see which step failed and why.
type logRecorder struct {
	mu      sync.Mutex
	records []logRecord
	attrs   []slog.Attr
	parent  *logRecorder
}

type logRecord struct {
	Level   slog.Level
	Message string
	Attrs   map[string]string
}

func (l *logRecorder) root() *logRecorder {
	for l.parent != nil {
		l = l.parent
	}
	return l
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Message: r.Message, Attrs: map[string]string{}}
	for _, a := range l.attrs {
		rec.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	root := l.root()
	root.mu.Lock()
	root.records = append(root.records, rec)
	root.mu.Unlock()
	return nil
}

func (l *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logRecorder{parent: l.root(), attrs: append(slices.Clone(l.attrs), attrs...)}
}

func (l *logRecorder) WithGroup(string) slog.Handler { return l }

// failures lists the step failures logged for a job: "step: reason (status)".
func (l *logRecorder) failures(jobID string) []string {
	root := l.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	var out []string
	for _, r := range root.records {
		if r.Message == "provisioning: step failed" && r.Attrs["job"] == jobID {
			out = append(out, fmt.Sprintf("%s: %s (%s)", r.Attrs["step"], r.Attrs["reason"], r.Attrs["status"]))
		}
	}
	return out
}

// errors lists the engine's error records, which a test expects none of.
func (l *logRecorder) errors() []string {
	root := l.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	var out []string
	for _, r := range root.records {
		if r.Level >= slog.LevelError {
			out = append(out, r.Message+": "+r.Attrs["err"])
		}
	}
	return out
}

// workspace is what one request should leave on its host.
type workspace struct {
	Group, User, Folder string
	Name, Contact       string
	Email               string
	QuotaBytes          int64 // the shared folder's
	AccountQuotaBytes   int64 // the account's own (1 GB unless a test says otherwise)
}

// accountQuota is the account quota a workspace should have: the plan's
// default (1 GB) unless the test set one.
func (w workspace) accountQuota() int64 {
	if w.AccountQuotaBytes > 0 {
		return w.AccountQuotaBytes
	}
	return DefaultAccountQuotaGB * GB
}

// workspaceOf is the workspace a job made, as its state and plan say.
func (env *testEnv) workspaceOf(j *Job) workspace {
	return workspace{Group: j.State.GroupID, User: j.State.UserID, Folder: j.State.Folder,
		Name: j.Plan.AssociationName, Contact: j.Plan.ContactName, Email: j.Plan.ContactEmail, QuotaBytes: j.Plan.QuotaBytes,
		AccountQuotaBytes: j.Plan.accountQuota()}
}

// seeded lists what a test put on a host before provisioning.
type seeded struct {
	Groups, Users, GroupFolders []string
	AdminFiles                  []string // folders in the provisioning account's files
}

// hostProblems compares a host's whole state with the workspaces it should
// hold, and nothing else: every difference is reported, so a duplicate or a
// leftover shows.
func hostProblems(st simulator.State, groupFolders bool, folders []string, want []workspace, before seeded) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	wantGroups := append([]string{"admin"}, before.Groups...)
	wantUsers := append([]string{simulator.DefaultAdminUser}, before.Users...)
	if groupFolders {
		wantGroups = append(wantGroups, AccessGroup)
	}
	for _, w := range want {
		wantGroups = append(wantGroups, w.Group)
		wantUsers = append(wantUsers, w.User)
	}
	var gotGroups, gotUsers []string
	for _, g := range st.Groups {
		gotGroups = append(gotGroups, g.ID)
	}
	for _, u := range st.Users {
		gotUsers = append(gotUsers, u.ID)
	}
	if !sameSet(gotGroups, wantGroups) {
		add("groups on the host: %q, want %q", gotGroups, wantGroups)
	}
	if !sameSet(gotUsers, wantUsers) {
		add("accounts on the host: %q, want %q", gotUsers, wantUsers)
	}

	docs := []string{"Bienvenue.md", "Welcome.md"}
	tree := func(prefix string) map[string]bool {
		out := map[string]bool{}
		for _, f := range folders {
			out[prefix+"/"+f] = true
		}
		for _, d := range docs {
			out[prefix+"/"+d] = false
		}
		return out
	}
	checkFiles := func(where string, got map[string]simulator.File, want map[string]bool) {
		for p, dir := range want {
			f, ok := got[p]
			switch {
			case !ok:
				add("%s: %s is missing", where, p)
			case f.Dir != dir:
				add("%s: %s is a folder: %v, want %v", where, p, f.Dir, dir)
			case !dir && f.Size == 0:
				add("%s: %s is empty", where, p)
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				add("%s: unexpected %s", where, p)
			}
		}
	}

	adminFiles := map[string]bool{"/welcome.txt": false}
	for _, p := range before.AdminFiles {
		adminFiles[p] = true
	}
	for _, w := range want {
		var g *simulator.Group
		for i := range st.Groups {
			if st.Groups[i].ID == w.Group {
				g = &st.Groups[i]
			}
		}
		var u *simulator.User
		for i := range st.Users {
			if st.Users[i].ID == w.User {
				u = &st.Users[i]
			}
		}
		if g == nil || u == nil {
			add("workspace %q: group %q or account %q missing", w.Name, w.Group, w.User)
			continue
		}
		if g.DisplayName != w.Name {
			add("group %s is named %q, want %q", g.ID, g.DisplayName, w.Name)
		}
		if !slices.Equal(g.Members, []string{w.User}) || !slices.Equal(g.Subadmins, []string{w.User}) {
			add("group %s: members %q, subadmins %q, want only %q", g.ID, g.Members, g.Subadmins, w.User)
		}
		if !strings.EqualFold(u.Email, w.Email) || u.DisplayName != w.Contact || u.Language != "fr" || u.Quota != w.accountQuota() || !u.Enabled {
			add("account %s: e-mail %q, name %q, language %q, quota %d, enabled %v; want %q, %q, fr, %d, true",
				u.ID, u.Email, u.DisplayName, u.Language, u.Quota, u.Enabled, w.Email, w.Contact, w.accountQuota())
		}
		if !slices.Equal(u.Groups, []string{w.Group}) || !slices.Equal(u.SubadminOf, []string{w.Group}) {
			add("account %s: groups %q, administers %q, want %q", u.ID, u.Groups, u.SubadminOf, w.Group)
		}
		mails := 0
		for _, m := range st.Mails {
			if m.UserID == w.User {
				mails++
				if !m.SetPassword || !strings.EqualFold(m.To, w.Email) {
					add("Nextcloud's welcome mail to %s: %+v", w.User, m)
				}
			}
		}
		if mails != 1 {
			add("account %s got %d welcome mails from Nextcloud, want 1", w.User, mails)
		}
		if groupFolders {
			var found []simulator.GroupFolder
			for _, f := range st.GroupFolders {
				// A folder made outside Archipel may share the mount point
				// (the app allows it): it is not the workspace's.
				_, ours := f.Groups[w.Group]
				if f.MountPoint == w.Folder && (ours || len(f.Groups) == 0 || !slices.Contains(before.GroupFolders, f.MountPoint)) {
					found = append(found, f)
				}
			}
			if len(found) != 1 {
				add("%d group folders named %q, want 1", len(found), w.Folder)
				continue
			}
			f := found[0]
			if len(f.Groups) != 1 || f.Groups[w.Group] != 31 {
				add("group folder %q: groups %v, want only %s with permissions 31", w.Folder, f.Groups, w.Group)
			}
			if f.Quota != w.QuotaBytes {
				add("group folder %q: quota %d, want %d", w.Folder, f.Quota, w.QuotaBytes)
			}
			checkFiles("group folder "+w.Folder, f.Files, tree(""))
		} else {
			var found []simulator.Share
			for _, s := range st.Shares {
				if s.Group == w.Group {
					found = append(found, s)
				}
			}
			if len(found) != 1 || found[0].Path != "/"+w.Folder || found[0].Owner != simulator.DefaultAdminUser || found[0].Permissions != 31 {
				add("shares with %s: %+v, want one of /%s by admin with permissions 31", w.Group, found, w.Folder)
			}
			adminFiles["/"+w.Folder] = true
			for p, dir := range tree("/" + w.Folder) {
				adminFiles[p] = dir
			}
		}
	}
	if groupFolders {
		if len(st.GroupFolders) != len(want)+len(before.GroupFolders) {
			add("%d group folders on the host, want %d", len(st.GroupFolders), len(want)+len(before.GroupFolders))
		}
		if len(st.Shares) != 0 {
			add("%d shares on a host with group folders, want none", len(st.Shares))
		}
	} else if len(st.Shares) != len(want) {
		add("%d shares on the host, want %d", len(st.Shares), len(want))
	}
	checkFiles("admin's files", st.Files[simulator.DefaultAdminUser], adminFiles)
	for user := range st.Files {
		if user != simulator.DefaultAdminUser && !slices.Contains(before.Users, user) {
			add("account %s has a home folder: someone logged in as it", user)
		}
	}
	return problems
}

// sameSet reports whether a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkHost fails the test when the host holds anything else than want.
func (env *testEnv) checkHost(h *testHost, groupFolders bool, want []workspace, before seeded) {
	env.tb.Helper()
	for _, p := range hostProblems(h.Sim.Snapshot(), groupFolders, h.FolderTemplate, want, before) {
		env.tb.Error(p)
	}
}

// testOutbox is the tests' mail: an outbox directory fed by the engine's
// queue, which it empties each time a test reads it, as the dispatcher of
// a running service would.
type testOutbox struct {
	*mail.Outbox
	Queue *mail.Queue
}

func newTestOutbox(tb testing.TB, db *database.DB, dir string) *testOutbox {
	tb.Helper()
	outbox, err := mail.NewOutbox(filepath.Join(dir, "outbox"), "Archipel <noreply@archipel.test>", slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	return &testOutbox{Outbox: outbox, Queue: mail.NewQueue(db, outbox, slog.New(slog.DiscardHandler), mail.QueueOptions{})}
}

// List sends what the queue holds, then lists the messages sent.
func (o *testOutbox) List() ([]string, error) {
	if _, err := o.Queue.DeliverDue(context.Background()); err != nil {
		return nil, err
	}
	return o.Outbox.List()
}

// Postman composes with tpl into the queue.
func (o *testOutbox) Postman(tpl mail.Renderer) *mail.Postman {
	return &mail.Postman{Renderer: tpl, Queue: o.Queue}
}
