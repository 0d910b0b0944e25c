package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/server"
	"archipel/training"
)

// showcaseEnv is the whole HTTP service on a fresh database (SQLite, or
// PostgreSQL when ARCHIPEL_TEST_POSTGRES is set), called in process so
// that benchmarks measure the service and not a network, with the three
// hosts of the other tests. Its stores' clock starts an hour ago, so that
// Last-Modified (sent once its second is over) is there from the start.
type showcaseEnv struct {
	tb       testing.TB
	ctx      context.Context
	db       *database.DB
	handler  http.Handler
	outbox   *testOutbox
	sc       *training.Showcase
	cases    *training.Store
	apps     *onboarding.Store
	accounts *accounts.Store
	mu       sync.Mutex
	clock    time.Time
	n        int
}

const showcaseBase = "https://archipel.test"

func newShowcaseEnv(tb testing.TB) *showcaseEnv {
	tb.Helper()
	e := &showcaseEnv{tb: tb, ctx: context.Background(), db: dbtest.Open(tb), clock: time.Now().UTC().Add(-time.Hour)}
	outbox := newTestOutbox(tb, e.db)
	var err error
	tpl := loadTemplates(tb)
	e.outbox = outbox
	e.sc = training.NewShowcase(e.db, e.now)
	e.cases = training.NewStore(e.db, e.now)
	e.apps = onboarding.NewStore(e.db, e.now)
	e.accounts = accounts.NewStore(e.db, nil)
	e.handler, err = server.New(server.Options{BaseURL: showcaseBase, StartsPerHour: 1000, MailsPerHour: 1000}, server.Deps{
		DB: e.db, Templates: tpl, Onboarding: e.apps, Accounts: e.accounts, Showcase: e.sc,
		Postman: outbox.Postman(tpl),
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, h := range []struct {
		id, slug, name, deps, services string
		paused                         bool
	}{
		{"h-lyon", "ile-numerique", "L'Île numérique", "69,01", "files,calendars,video", false},
		{"h-all", "recif-solidaire", "Récif solidaire", "*", "files,calendars,contacts", false},
		{"h-paused", "lagon-complet", "Lagon complet", "*", "files", true},
	} {
		if _, err := e.db.ExecContext(e.ctx, `INSERT INTO hosts (id, slug, name, region, departements, services, paused, created_at, updated_at)
			VALUES ($1, $2, $3, 'Auvergne-Rhône-Alpes', $4, $5, $6, $7, $7)`, h.id, h.slug, h.name, h.deps, h.services, h.paused, e.clock); err != nil {
			tb.Fatalf("seed host: %v", err)
		}
	}
	return e
}

// now moves the stores' clock a millisecond on at every reading.
func (e *showcaseEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = e.clock.Add(time.Millisecond)
	return e.clock
}

// successCase makes a case closed as a success the way the service does: a
// request, its workspace, the case opened for it, then closed.
func (e *showcaseEnv) successCase(hostID, name, dep, lang string) *training.Case {
	e.tb.Helper()
	e.n++
	app, _, err := e.apps.Create(e.ctx, lang, onboarding.AssociationStep{Name: name, Town: "Lyon", Departement: dep,
		ContactEmail: fmt.Sprintf("contact%d@asso.example", e.n), LegalID: fmt.Sprintf("W69%07d", e.n)})
	if err != nil {
		e.tb.Fatalf("create request: %v", err)
	}
	app.Answers.Needs.Services = []string{"files", "calendars"}
	app.Answers.Members.ContactName = "Anne Martin"
	if err := e.apps.Save(e.ctx, app, onboarding.StepNeeds); err != nil {
		e.tb.Fatalf("save request: %v", err)
	}
	if _, err := e.db.ExecContext(e.ctx, `UPDATE applications SET status = 'ready', host_id = $1 WHERE id = $2`, hostID, app.ID); err != nil {
		e.tb.Fatal(err)
	}
	if _, err := e.db.ExecContext(e.ctx, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
		VALUES ($1, $2, 'https://cloud.example', 'admin', 'grp', 'Asso', 1, $3)`, app.ID, hostID, e.now()); err != nil {
		e.tb.Fatalf("seed workspace: %v", err)
	}
	if _, err := e.cases.OpenCases(e.ctx); err != nil {
		e.tb.Fatalf("open cases: %v", err)
	}
	c, err := e.cases.ByApplication(e.ctx, app.ID)
	if err != nil {
		e.tb.Fatalf("case: %v", err)
	}
	if err := e.cases.Close(e.ctx, &accounts.User{Role: accounts.RoleAdmin}, c, training.OutcomeSuccess, ""); err != nil {
		e.tb.Fatalf("close case: %v", err)
	}
	return c
}

func storyText(name, dep string) training.ShowcaseText {
	return training.ShowcaseText{Association: name, Town: "Lyon", Departement: dep,
		Story: "Des fichiers sur trois clés USB.\nAujourd'hui un espace partagé par tout le bureau.", Quote: "Enfin tout au même endroit.",
		Services: []string{"files", "calendars"}}
}

// publish drafts and publishes an entry with the association's consent,
// through the domain; it returns the entry and its link's token.
func (e *showcaseEnv) publish(c *training.Case, text training.ShowcaseText) (*training.ShowcaseEntry, string) {
	e.tb.Helper()
	entry, _, err := e.sc.Save(e.ctx, &accounts.User{ID: "admin", Role: accounts.RoleAdmin}, c, text, 0)
	if err != nil {
		e.tb.Fatalf("save entry: %v", err)
	}
	token, err := e.sc.AskConsent(e.ctx, entry)
	if err != nil {
		e.tb.Fatalf("ask consent: %v", err)
	}
	if entry, err = e.sc.Consent(e.ctx, token, entry.Version, entry.Text.Quote); err != nil {
		e.tb.Fatalf("consent: %v", err)
	}
	return entry, token
}

// staff signs a staff account in and returns its session cookie.
func (e *showcaseEnv) staff(role accounts.Role, hostID string) *http.Cookie {
	e.tb.Helper()
	e.n++
	email := fmt.Sprintf("staff%d@archipel.test", e.n)
	u, err := e.accounts.Create(e.ctx, accounts.NewUser{Email: email, Role: role, HostID: hostID, Language: "fr"})
	if err != nil {
		e.tb.Fatal(err)
	}
	const password = "une phrase de passe assez longue"
	if err := e.accounts.SetPassword(e.ctx, u, password); err != nil {
		e.tb.Fatal(err)
	}
	_, token, err := e.accounts.Login(e.ctx, email, password, "192.0.2.1")
	if err != nil {
		e.tb.Fatal(err)
	}
	return &http.Cookie{Name: "archipel_staff", Value: token}
}

// showcaseResponse is an answer as a test sees it.
type showcaseResponse struct {
	Status int
	Header http.Header
	Body   string
	doc    *goquery.Document
}

// Doc parses the answer as HTML.
func (r *showcaseResponse) Doc() *goquery.Document {
	if r.doc == nil {
		r.doc, _ = goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	}
	return r.doc
}

// request is one request to the service; opts are headers ("Name: value")
// or cookies.
func (e *showcaseEnv) request(method, path string, body io.Reader, contentType string, opts ...any) *showcaseResponse {
	req := httptest.NewRequest(method, showcaseBase+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept-Language", "fr")
	for _, o := range opts {
		switch o := o.(type) {
		case *http.Cookie:
			req.AddCookie(o)
		case string:
			k, v, _ := strings.Cut(o, ": ")
			req.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return &showcaseResponse{Status: w.Code, Header: w.Header(), Body: w.Body.String()}
}

func (e *showcaseEnv) get(path string, opts ...any) *showcaseResponse {
	return e.request(http.MethodGet, path, nil, "", opts...)
}

func (e *showcaseEnv) post(path string, form url.Values, opts ...any) *showcaseResponse {
	return e.request(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", opts...)
}

// upload posts a multipart form with one file.
func (e *showcaseEnv) upload(path string, fields url.Values, field, filename string, content []byte, opts ...any) *showcaseResponse {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile(field, filename)
	_, _ = fw.Write(content)
	_ = w.Close()
	return e.request(http.MethodPost, path, &buf, w.FormDataContentType(), opts...)
}

var consentLinkRe = regexp.MustCompile(`https://archipel\.test/showcase/consent/[A-Za-z0-9_-]+\?lang=(fr|en)`)

// consentMails returns the consent e-mails sent to addr, oldest first, with
// the private link of each.
func (e *showcaseEnv) consentMails(addr string) ([]mail.Parsed, []string) {
	e.tb.Helper()
	paths, err := e.outbox.List()
	if err != nil {
		e.tb.Fatal(err)
	}
	var out []mail.Parsed
	var links []string
	for _, p := range paths {
		m, err := mail.ReadMessage(p)
		if err != nil {
			e.tb.Fatal(err)
		}
		if strings.Contains(m.To, addr) && m.Tag == "showcase_consent" {
			out = append(out, m)
			links = append(links, consentLinkRe.FindString(m.Text))
		}
	}
	return out, links
}
