package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
	"archipel/chatonsinfos"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/mail"
	"archipel/metrics"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/rights"
	"archipel/server"
	"archipel/templates"
	"archipel/training"
)

// testApp is the whole HTTP service on a fresh database, with mail written
// to an outbox the test can read.
type testApp struct {
	t        *testing.T
	DB       *database.DB
	Server   *httptest.Server
	Outbox   *testOutbox
	Postman  *mail.Postman
	Accounts *accounts.Store
	Hosts    *provisioning.Hosts
	Engine   *provisioning.Engine // not running: tests call RunDue
	Logs     *logBuffer           // everything the service logged
	Training *training.Store
	Metrics  *metrics.Metrics // wired as in main.go; /metrics only with Options.MetricsToken
}

// logBuffer collects the service's log lines; handlers write concurrently.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

var testTemplates *templates.Set

func loadTemplates(t testing.TB) *templates.Set {
	t.Helper()
	if testTemplates == nil {
		tpl, err := templates.Load()
		if err != nil {
			t.Fatalf("load templates: %v", err)
		}
		testTemplates = tpl
	}
	return testTemplates
}

// newTestApp starts the service on a fresh database with two open hosts and
// one paused host.
func newTestApp(t *testing.T) *testApp {
	t.Helper()
	return newTestAppWith(t, server.Options{})
}

// newTestAppWith is newTestApp with some options set; the base URL is the
// test server's and unset hourly limits are high enough not to get in the way.
func newTestAppWith(t *testing.T, opts server.Options) *testApp {
	t.Helper()
	db := dbtest.Open(t)
	outbox := newTestOutbox(t, db)
	tpl := loadTemplates(t)
	app := &testApp{t: t, DB: db, Outbox: outbox, Metrics: metrics.New()}
	var handler http.Handler
	app.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(app.Server.Close)
	opts.BaseURL = app.Server.URL
	if opts.StartsPerHour == 0 {
		opts.StartsPerHour = 1000
	}
	if opts.MailsPerHour == 0 {
		opts.MailsPerHour = 1000
	}
	key := make([]byte, 32)
	rand.Read(key)
	keyring, err := provisioning.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	apps := onboarding.NewStore(db, nil)
	app.Accounts, app.Hosts, app.Logs = accounts.NewStore(db, nil), provisioning.NewHosts(db, keyring, 100), &logBuffer{}
	app.Training = training.NewStore(db, nil)
	logger := slog.New(slog.NewTextHandler(app.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app.Hosts.Observe = app.Metrics.Transport
	app.Metrics.ObserveDB(db.DB, string(db.Dialect))
	outbox.onSend = app.Metrics.Mail
	postman := outbox.Postman(tpl)
	app.Postman = postman
	app.Engine = provisioning.NewEngine(db, app.Hosts, apps, postman, logger, provisioning.Options{BaseURL: app.Server.URL,
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, CallTimeout: 5 * time.Second, OnStep: app.Metrics.Step})
	app.Metrics.ObserveJobs(app.Engine.Jobs.CountByKindAndStatus, provisioning.JobKindNames(), provisioning.JobStatusNames(), logger)
	dataRights := rights.NewStore(db, nil)
	dataRights.OutboxDir = outbox.Outbox.Dir()
	dataRights.Postman = postman
	handler, err = server.New(opts, server.Deps{
		DB: db, Templates: tpl, Onboarding: apps, Accounts: app.Accounts, Hosts: app.Hosts,
		Engine:  app.Engine,
		Postman: postman, Logger: logger, Training: app.Training, Rights: dataRights, Metrics: app.Metrics,
		Usage: training.NewUsageReader(app.Training, app.Hosts, logger),
		// The hosts' test sites are on loopback: allowed explicitly.
		Chatons: onboarding.NewChatonsReader(apps, chatonsinfos.NewFetcher(true, "archipel-test"), logger),
	})
	if err != nil {
		t.Fatal(err)
	}
	app.seedHost("h-lyon", "ile-numerique", "L'Île numérique", "69,01", "files,calendars,video", false)
	app.seedHost("h-all", "recif-solidaire", "Récif solidaire", "*", "files,calendars,contacts", false)
	app.seedHost("h-paused", "lagon-complet", "Lagon complet", "*", "files", true)
	return app
}

func (a *testApp) seedHost(id, slug, name, deps, services string, paused bool) {
	a.t.Helper()
	now := time.Now().UTC()
	if _, err := a.DB.ExecContext(context.Background(), `INSERT INTO hosts (id, slug, name, departements, services, paused, terms_url, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, id, slug, name, deps, services, paused, "https://"+slug+".example/cgu", now); err != nil {
		a.t.Fatalf("seed host: %v", err)
	}
}

// browser is one visitor with its own cookies and language.
type browser struct {
	t      *testing.T
	app    *testApp
	client *http.Client
	lang   string
}

func (a *testApp) browser(lang string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: a.t, app: a, lang: lang, client: &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// response is a page as a test sees it.
type response struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
	Doc      *goquery.Document
}

func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		b.t.Fatalf("parse %s: %v", req.URL, err)
	}
	return &response{Status: res.StatusCode, Location: res.Header.Get("Location"), Header: res.Header, Body: string(body), Doc: doc}
}

func (b *browser) get(path string) *response {
	b.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = b.app.Server.URL + path
	}
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.app.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var linkRe = regexp.MustCompile(`https?://[^\s]+/reprendre/[A-Za-z0-9_-]+`)

// lastLink returns the private link of the newest e-mail sent to addr.
func (a *testApp) lastLink(addr string) string {
	a.t.Helper()
	paths, err := a.Outbox.List()
	if err != nil {
		a.t.Fatal(err)
	}
	for i := len(paths) - 1; i >= 0; i-- {
		m, err := mail.ReadMessage(paths[i])
		if err != nil {
			a.t.Fatal(err)
		}
		if strings.Contains(m.To, addr) {
			if link := linkRe.FindString(m.Text); link != "" {
				return link
			}
		}
	}
	a.t.Fatalf("no link e-mailed to %s", addr)
	return ""
}

// mails returns the parsed messages sent to addr, oldest first.
func (a *testApp) mails(addr string) []mail.Parsed {
	a.t.Helper()
	paths, err := a.Outbox.List()
	if err != nil {
		a.t.Fatal(err)
	}
	var out []mail.Parsed
	for _, p := range paths {
		m, err := mail.ReadMessage(p)
		if err != nil {
			a.t.Fatal(err)
		}
		if strings.Contains(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// validAnswers are complete answers for every step, as a browser posts them.
func validAnswers(email string) map[string]url.Values {
	return map[string]url.Values{
		"association": {"name": {"Les Amis du Vélo"}, "legal_form": {"loi1901"}, "legal_id": {"W691234567"},
			"postcode": {"69001"}, "town": {"Lyon"}, "website": {"amis-velo.example.org"},
			"purpose": {"Promouvoir le vélo en ville"}, "sector": {"sport"}, "contact_email": {email}},
		"membres": {"members": {"40"}, "volunteers": {"12"}, "employees": {"0"}, "contact_name": {"Anne Martin"},
			"contact_role": {"présidente"}, "contact_phone": {"06 12 34 56 78"}, "accessibility": {""}},
		"outils":        {"tools": {"google_drive", "whatsapp"}, "problems": {"Fichiers éparpillés"}, "data_gb": {"5"}},
		"besoins":       {"services": {"files", "calendars"}, "accounts": {"10"}, "storage_gb": {"20"}, "when": {"asap"}, "training": {"yes"}},
		"hebergeur":     {"host": {"auto"}, "contribution": {"free"}},
		"recapitulatif": {"consent_data": {"yes"}, "consent_terms": {"yes"}, "consent_contact": {"yes"}},
	}
}
