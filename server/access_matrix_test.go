package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
	"archipel/rights"
	"archipel/templates"
)

// matrixName is the association of host A's requests: it must never appear
// in what host B's staff receive.
const matrixName = "Association Témoin Unique"

// matrixEnv is the service with two hosts, A connected to a simulated
// Nextcloud, and a signed-in session per role.
type matrixEnv struct {
	t        *testing.T
	ctx      context.Context
	db       *database.DB
	apps     *onboarding.Store
	accts    *accounts.Store
	hosts    *provisioning.Hosts
	engine   *provisioning.Engine
	handler  *Handler
	server   *httptest.Server
	sim      *simulator.Simulator
	hostA    *provisioning.Host
	openHost []onboarding.Host
	sessions map[string]string // role → session token; none for anonymous
	seq      int
}

// The roles of the matrix.
const (
	roleAnonymous = "anonymous"
	roleAdmin     = "admin"
	roleStaffA    = "staff of host A"
	roleTrainerA  = "trainer of host A"
	roleStaffB    = "staff of host B"
)

var matrixRoles = []string{roleAnonymous, roleAdmin, roleStaffA, roleTrainerA, roleStaffB}

func newMatrixEnv(t *testing.T) *matrixEnv {
	t.Helper()
	ctx := context.Background()
	db := dbtest.Open(t)
	tpl, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := mail.NewOutbox(filepath.Join(t.TempDir(), "outbox"), "Archipel <noreply@archipel.test>", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := provisioning.ParseKey(provisioning.NewKey())
	keyring, err := provisioning.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	m := &matrixEnv{t: t, ctx: ctx, db: db, apps: onboarding.NewStore(db, nil), accts: accounts.NewStore(db, nil), sessions: map[string]string{}}
	m.hosts = provisioning.NewHosts(db, keyring, 100)
	logger := slog.New(slog.DiscardHandler)
	postman := &mail.Postman{Renderer: tpl, Queue: mail.NewQueue(db, outbox, logger, mail.QueueOptions{})}
	m.engine = provisioning.NewEngine(db, m.hosts, m.apps, postman, logger, provisioning.Options{})
	now := time.Now().UTC()
	for _, h := range [][3]string{{"host-a", "hote-a", "Hôte A"}, {"host-b", "hote-b", "Hôte B"}} {
		if _, err := db.ExecContext(ctx, `INSERT INTO hosts (id, slug, name, departements, services, contact_email, created_at, updated_at)
			VALUES ($1, $2, $3, '*', 'files,calendars,contacts', $4, $5, $5)`, h[0], h[1], h[2], "contact@"+h[1]+".example", now); err != nil {
			t.Fatal(err)
		}
	}
	m.sim = simulator.New(simulator.Options{AdminPassword: "matrix-admin-password"})
	simServer := httptest.NewServer(m.sim)
	t.Cleanup(simServer.Close)
	t.Cleanup(m.sim.Close)
	c, _ := nextcloud.New(nextcloud.Config{BaseURL: simServer.URL})
	appPassword, err := c.AppPasswordFromLogin(ctx, simulator.DefaultAdminUser, "matrix-admin-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.hosts.SetConnection(ctx, &accounts.User{Role: accounts.RoleAdmin}, "host-a", simServer.URL, simulator.DefaultAdminUser, appPassword, provisioning.CredentialAppPassword); err != nil {
		t.Fatal(err)
	}
	if m.hostA, err = m.hosts.Get(ctx, "host-a"); err != nil {
		t.Fatal(err)
	}
	if m.openHost, err = m.apps.OpenHosts(ctx); err != nil {
		t.Fatal(err)
	}

	var h http.Handler
	m.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(m.server.Close)
	opts := Options{BaseURL: m.server.URL, StartsPerHour: 1000, MailsPerHour: 1000}
	deps := Deps{DB: db, Templates: tpl, Onboarding: m.apps, Accounts: m.accts, Hosts: m.hosts, Engine: m.engine,
		Postman: postman, Logger: logger}
	if h, err = New(opts, deps); err != nil {
		t.Fatal(err)
	}
	m.handler = &Handler{opts: opts, Deps: deps}

	for role, nu := range map[string]accounts.NewUser{
		roleAdmin:    {Email: "admin@archipel.example", Role: accounts.RoleAdmin},
		roleStaffA:   {Email: "staff@hote-a.example", Role: accounts.RoleStaff, HostID: "host-a"},
		roleTrainerA: {Email: "trainer@hote-a.example", Role: accounts.RoleTrainer, HostID: "host-a"},
		roleStaffB:   {Email: "staff@hote-b.example", Role: accounts.RoleStaff, HostID: "host-b"},
	} {
		u, err := m.accts.Create(ctx, nu)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.accts.SetPassword(ctx, u, "une phrase de passe assez longue"); err != nil {
			t.Fatal(err)
		}
		_, token, err := m.accts.Login(ctx, nu.Email, "une phrase de passe assez longue", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		m.sessions[role] = token
	}
	return m
}

// request submits a fresh request of host A, as the guided flow does.
func (m *matrixEnv) request() *onboarding.Application {
	m.t.Helper()
	m.seq++
	first := onboarding.AssociationStep{Name: matrixName, LegalForm: "loi1901", Postcode: "69001", Town: "Lyon",
		Purpose: "Réparer des vélos ensemble", Sector: "sport", ContactEmail: fmt.Sprintf("contact%d@temoin.example", m.seq)}
	must := func(fe onboarding.FieldErrors) {
		if len(fe) > 0 {
			m.t.Fatalf("invalid answers: %v", fe)
		}
	}
	must(first.Validate())
	a, _, err := m.apps.Create(m.ctx, "fr", first)
	if err != nil {
		m.t.Fatal(err)
	}
	members := onboarding.MembersStep{Members: "40", Volunteers: "12", Employees: "0", ContactName: "Anne Martin", ContactRole: "présidente"}
	tools := onboarding.ToolsStep{Tools: []string{"google_drive"}}
	needs := onboarding.NeedsStep{Services: []string{"files", "calendars"}, Accounts: "10", StorageGB: "20", When: "asap", Training: "no"}
	host := onboarding.HostStep{Choice: "hote-a", Contribution: "free"}
	must(members.Validate())
	must(tools.Validate())
	must(needs.Validate())
	must(host.Validate(m.openHost))
	a.Answers.Members, a.Answers.Tools, a.Answers.Needs, a.Answers.Host = members, tools, needs, host
	a.Answers.Consent = onboarding.ConsentStep{DataProcessing: "yes", HostTerms: "yes"}
	if err := m.apps.Save(m.ctx, a, onboarding.StepHost); err != nil {
		m.t.Fatal(err)
	}
	if err := m.apps.Verify(m.ctx, a); err != nil {
		m.t.Fatal(err)
	}
	if err := m.apps.Submit(m.ctx, a, m.openHost); err != nil {
		m.t.Fatal(err)
	}
	if a.HostID != "host-a" {
		m.t.Fatalf("request went to %q", a.HostID)
	}
	return a
}

// approve approves a request of host A and returns its job.
func (m *matrixEnv) approve(a *onboarding.Application) *provisioning.Job {
	m.t.Helper()
	if _, err := m.engine.Approve(m.ctx, a, m.hostA, provisioning.DefaultPlanOptions(a, m.hostA), &accounts.User{ID: "setup", Email: "setup", Role: accounts.RoleAdmin}); err != nil {
		m.t.Fatal(err)
	}
	job, err := m.engine.Jobs.ByApplication(m.ctx, a.ID)
	if err != nil {
		m.t.Fatal(err)
	}
	return job
}

// template writes a decline template of host A.
func (m *matrixEnv) template(name string) string {
	m.t.Helper()
	t := &onboarding.DeclineTemplate{HostID: "host-a", Language: "fr", Name: name, Body: "Nous sommes complets."}
	if err := m.apps.SaveDeclineTemplate(m.ctx, &accounts.User{ID: "setup", Email: "setup", Role: accounts.RoleAdmin}, t); err != nil {
		m.t.Fatal(err)
	}
	return t.ID
}

// do sends a request as a role, following no redirect.
func (m *matrixEnv) do(role, method, path string, form url.Values) (int, string, string) {
	m.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, m.server.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token := m.sessions[role]; token != "" {
		req.AddCookie(&http.Cookie{Name: staffCookie, Value: token})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

// matrixCase says how to prepare and post one of the request pages'
// routes, and who may use it.
type matrixCase struct {
	// setup prepares a fresh request of host A and returns the form to
	// post and the path's parameters besides :id.
	setup func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string)
	// trainer: trainers of the host may use it (reading and notes).
	trainer bool
	// ownHost: it serves the user's own host, so host B's staff get their
	// own page (and check is run to prove host A was not touched).
	ownHost bool
	check   func(m *matrixEnv, role string, params map[string]string)
}

func noForm(*matrixEnv, *onboarding.Application) (url.Values, map[string]string) { return nil, nil }

func matrixCases() map[string]matrixCase {
	version := func(a *onboarding.Application) string { return strconv.Itoa(a.Version) }
	date := time.Now().In(onboarding.Paris).AddDate(0, 0, 7).Format("02/01/2006")
	return map[string]matrixCase{
		"GET /staff/requests":     {setup: noForm, trainer: true, ownHost: true},
		"GET /staff/requests/:id": {setup: noForm, trainer: true},
		"GET /staff/requests.csv": {setup: noForm, trainer: true, ownHost: true},
		"POST /staff/requests/:id/assign": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"assignee": {"me"}}, nil
		}},
		"POST /staff/requests/:id/notes": {trainer: true, setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"note_body": {"Une note."}}, nil
		}},
		"GET /staff/requests/:id/interview":    {setup: noForm},
		"GET /staff/requests/:id/donnees":      {setup: noForm},
		"GET /staff/requests/:id/donnees.json": {setup: noForm},
		"GET /staff/requests/:id/effacer":      {setup: noForm},
		"POST /staff/requests/:id/effacer": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"erasure_nextcloud": {"keep"}}, nil
		}},
		"POST /staff/requests/:id/effacer/refuser": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			if _, _, err := rights.NewStore(m.db, nil).AskErasure(m.ctx, a.ID, rights.NextcloudKeep); err != nil {
				m.t.Fatal(err)
			}
			return url.Values{"refusal_reason": {"Nos statuts nous obligent à garder les adhésions."}}, nil
		}},
		"POST /staff/requests/:id/interview": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"version": {version(a)}, "interview_date": {date}, "interview_time": {"14:30"},
				"interview_duration": {"60"}, "interview_mode": {"phone"}}, nil
		}},
		"POST /staff/requests/:id/interview/guide": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			slot := onboarding.Slot{Start: time.Now().Add(72 * time.Hour).UTC(), Duration: time.Hour, Mode: "phone"}
			if _, _, err := m.apps.ScheduleInterview(m.ctx, a, slot, &accounts.User{ID: "setup", Email: "setup", Role: accounts.RoleAdmin}); err != nil {
				m.t.Fatal(err)
			}
			return url.Values{"guide_activity": {"Atelier vélo"}}, nil
		}},
		"GET /staff/requests/:id/transfer": {setup: noForm},
		"POST /staff/requests/:id/transfer": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"change_host": {"host-b"}, "change_reason": {"Plus proche."}}, nil
		}},
		"GET /staff/requests/:id/approve": {setup: noForm},
		"POST /staff/requests/:id/approve": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"version": {version(a)}, "quota_gb": {"10"}, "plan_accounts": {"5"}, "plan_folders": {"Projets"}}, nil
		}},
		"GET /staff/requests/:id/decline": {setup: noForm},
		"POST /staff/requests/:id/decline": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"version": {version(a)}, "decline_reason": {"Nous sommes complets."}}, nil
		}},
		"GET /staff/requests/:id/info": {setup: noForm},
		"POST /staff/requests/:id/info": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			return url.Values{"version": {version(a)}, "info_steps": {"membres"}, "info_message": {"Combien de bénévoles ?"}}, nil
		}},
		"POST /staff/requests/:id/provisioning/retry": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			job := m.approve(a)
			if err := m.engine.Jobs.Cancel(m.ctx, &accounts.User{Role: accounts.RoleAdmin}, job.ID); err != nil {
				m.t.Fatal(err)
			}
			return url.Values{}, nil
		}},
		"POST /staff/requests/:id/provisioning/cancel": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			m.approve(a)
			return url.Values{}, nil
		}},
		"POST /staff/requests/:id/workspace/disable": {setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
			account := fmt.Sprintf("temoin-%d", m.seq)
			if err := m.sim.AddUser(simulator.Account{ID: account, Email: account + "@temoin.example"}); err != nil {
				m.t.Fatal(err)
			}
			if _, err := m.db.ExecContext(m.ctx, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
				VALUES ($1, 'host-a', 'https://cloud.example/login', $2, 'temoin', 'Temoin', 1, $3)`, a.ID, account, time.Now().UTC()); err != nil {
				m.t.Fatal(err)
			}
			return url.Values{}, nil
		}},
		"GET /staff/decline-templates": {setup: noForm, ownHost: true},
		"POST /staff/decline-templates": {ownHost: true,
			setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
				return url.Values{"host": {"host-a"}, "template_language": {"fr"}, "template_body": {"Complet."},
					"template_name": {fmt.Sprintf("Modèle %d", m.seq)}}, nil
			},
			check: func(m *matrixEnv, role string, params map[string]string) {
				list, err := m.apps.DeclineTemplates(m.ctx, "host-a", "")
				if err != nil {
					m.t.Fatal(err)
				}
				written := false
				for _, t := range list {
					written = written || t.Name == fmt.Sprintf("Modèle %d", m.seq)
				}
				if written != (role == roleAdmin || role == roleStaffA) {
					m.t.Errorf("%s: a template of host A written: %t", role, written)
				}
			}},
		"POST /staff/decline-templates/:tid/delete": {
			setup: func(m *matrixEnv, a *onboarding.Application) (url.Values, map[string]string) {
				return url.Values{"host": {"host-a"}}, map[string]string{"tid": m.template("À supprimer")}
			},
			check: func(m *matrixEnv, role string, params map[string]string) {
				_, err := m.apps.DeclineTemplate(m.ctx, "host-a", params["tid"])
				if gone := err != nil; gone != (role == roleAdmin || role == roleStaffA) {
					m.t.Errorf("%s: host A's template deleted: %t", role, gone)
				}
			}},
	}
}

// fill puts parameters into a route's path.
func fill(path string, params map[string]string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			v, ok := params[p[1:]]
			if !ok {
				v = "x"
			}
			parts[i] = url.PathEscape(v)
		}
	}
	return strings.Join(parts, "/")
}

// staffRoutes lists every route of the service under /staff that needs a
// session, as the router has them.
func (m *matrixEnv) staffRoutes() gin.RoutesInfo {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	m.handler.routes(r)
	var out gin.RoutesInfo
	for _, rt := range r.Routes() {
		p := rt.Path
		if p != "/staff" && !strings.HasPrefix(p, "/staff/") {
			continue
		}
		if p == "/staff/login" || strings.HasPrefix(p, "/staff/reset") || strings.HasPrefix(p, "/staff/invitation") {
			continue // open to all: signing in
		}
		out = append(out, rt)
	}
	return out
}

// The access matrix: every staff route, for anonymous visitors, an
// administrator, staff and a trainer of host A and staff of host B, against
// a request of host A. Anonymous visitors are sent to the login page; host
// B's staff get "not found" for anything of host A, posts included, and
// never see host A's association; trainers read and annotate only.
func TestAccessMatrix(t *testing.T) {
	m := newMatrixEnv(t)
	outer := t
	cases := matrixCases()
	routes := m.staffRoutes()
	fixed := m.request()
	covered := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		mine := strings.HasPrefix(rt.Path, "/staff/requests") || strings.HasPrefix(rt.Path, "/staff/decline-templates")
		mc, known := cases[key]
		if mine && !known {
			t.Errorf("%s has no expectation in the access matrix", key)
			continue
		}
		covered[key] = true
		for _, role := range matrixRoles {
			t.Run(key+" as "+role, func(t *testing.T) {
				m.t = t
				defer func() { m.t = outer }()
				var form url.Values
				params := map[string]string{"id": fixed.ID}
				if mine {
					a := m.request()
					var extra map[string]string
					form, extra = mc.setup(m, a)
					params["id"] = a.ID
					for k, v := range extra {
						params[k] = v
					}
				}
				if rt.Method == http.MethodPost && form == nil {
					form = url.Values{}
				}
				if rt.Path == "/staff/logout" && role != roleAnonymous {
					return // it would end the session the other cases use
				}
				status, location, body := m.do(role, rt.Method, fill(rt.Path, params), form)
				if role == roleAnonymous {
					if status != http.StatusSeeOther || !strings.HasPrefix(location, "/staff/login") {
						t.Fatalf("status %d, location %q: want the login page", status, location)
					}
					return
				}
				if role == roleStaffB && strings.Contains(body, matrixName) {
					t.Errorf("host A's association shows in host B's answer (status %d)", status)
				}
				if strings.HasPrefix(rt.Path, "/staff/admin") && role != roleAdmin && status != http.StatusNotFound {
					t.Errorf("status %d on an administrators' page, want 404", status)
				}
				if !mine {
					return
				}
				allowed := role == roleAdmin || role == roleStaffA || (role == roleTrainerA && mc.trainer) ||
					(role == roleStaffB && mc.ownHost)
				want := http.StatusNotFound
				if allowed {
					want = http.StatusOK
					if rt.Method == http.MethodPost {
						want = http.StatusSeeOther
					}
				}
				if status != want {
					t.Errorf("status %d, want %d (location %q)\n%.600s", status, want, location, body)
				}
				if allowed && role != roleStaffB && rt.Path == "/staff/requests/:id" && !strings.Contains(body, matrixName) {
					t.Error("the request's page does not show the association")
				}
				if mc.check != nil {
					mc.check(m, role, params)
				}
			})
		}
	}
	for key := range cases {
		if !covered[key] {
			t.Errorf("the router has no route %s", key)
		}
	}
	t.Run("host B's queue is empty of host A's requests, the administrator's is not", func(t *testing.T) {
		m.t = t
		defer func() { m.t = outer }()
		_, _, body := m.do(roleStaffB, http.MethodGet, "/staff/requests", nil)
		if strings.Contains(body, fixed.ID) {
			t.Error("host B's queue links to host A's request")
		}
		_, _, body = m.do(roleAdmin, http.MethodGet, "/staff/requests?host=host-a", nil)
		if !strings.Contains(body, fixed.ID) {
			t.Error("the administrator's queue lacks host A's request")
		}
	})
}
