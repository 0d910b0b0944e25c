package onboarding_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/onboarding"
	"archipel/templates"
)

// validHostForm is a host form every check accepts.
func validHostForm(slug string) *onboarding.HostForm {
	return &onboarding.HostForm{Name: "L'Île numérique", Slug: slug, ContactEmail: "contact@ile.example",
		Departements: "69, 01", Services: []string{"files", "calendars"}, MaxAssociations: "20", StorageBudgetGB: "500",
		DefaultQuotaGB: "10", DefaultAccounts: "10"}
}

func TestHostFormValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *onboarding.HostForm)
		field  string
		key    string
	}{
		{"a complete form is accepted", func(f *onboarding.HostForm) {}, "", ""},
		{"the name is required", func(f *onboarding.HostForm) { f.Name = "  " }, "host_name", "err.host_name.required"},
		{"the slug is required", func(f *onboarding.HostForm) { f.Slug = "" }, "host_slug", "err.host_slug.required"},
		{"a slug with an accent is refused", func(f *onboarding.HostForm) { f.Slug = "île" }, "host_slug", "err.host_slug.invalid"},
		{"a slug ending with a hyphen is refused", func(f *onboarding.HostForm) { f.Slug = "ile-" }, "host_slug", "err.host_slug.invalid"},
		{"a slug longer than 40 characters is refused", func(f *onboarding.HostForm) { f.Slug = strings.Repeat("a", 41) }, "host_slug", "err.host_slug.invalid"},
		{"a website that is not an address is refused", func(f *onboarding.HostForm) { f.Website = "pas un site" }, "host_website", "err.url.invalid"},
		{"a terms page in ftp is refused", func(f *onboarding.HostForm) { f.TermsURL = "ftp://ile.example/cgu" }, "host_terms_url", "err.url.invalid"},
		{"the contact address is required", func(f *onboarding.HostForm) { f.ContactEmail = "" }, "host_contact_email", "err.host_contact_email.required"},
		{"a contact address must be one", func(f *onboarding.HostForm) { f.ContactEmail = "contact" }, "host_contact_email", "err.contact_email.invalid"},
		{"an unknown region is refused", func(f *onboarding.HostForm) { f.Region = "Atlantide" }, "host_region", "err.choice"},
		{"départements are required", func(f *onboarding.HostForm) { f.Departements = " , " }, "host_departements", "err.host_departements.required"},
		{"an unknown département is refused", func(f *onboarding.HostForm) { f.Departements = "69, 20" }, "host_departements", "err.host_departements.invalid"},
		{"Saint-Pierre-et-Miquelon is not a département", func(f *onboarding.HostForm) { f.Departements = "975" }, "host_departements", "err.host_departements.invalid"},
		{"all of France and a list cannot go together", func(f *onboarding.HostForm) { f.Departements = "*, 69" }, "host_departements", "err.host_departements.mixed"},
		{"a service is required", func(f *onboarding.HostForm) { f.Services = nil }, "host_services", "err.host_services.required"},
		{"an unknown service is refused", func(f *onboarding.HostForm) { f.Services = []string{"files", "mail"} }, "host_services", "err.choice"},
		{"the capacity is required", func(f *onboarding.HostForm) { f.MaxAssociations = "" }, "host_max_associations", "err.host_max_associations.required"},
		{"a capacity of zero is refused", func(f *onboarding.HostForm) { f.MaxAssociations = "0" }, "host_max_associations", "err.host_max_associations.range"},
		{"a capacity in words is refused", func(f *onboarding.HostForm) { f.MaxAssociations = "vingt" }, "host_max_associations", "err.number"},
		{"the storage budget is required", func(f *onboarding.HostForm) { f.StorageBudgetGB = "" }, "host_storage_budget_gb", "err.host_storage_budget_gb.required"},
		{"a quota above the budget is refused", func(f *onboarding.HostForm) { f.DefaultQuotaGB = "600" }, "host_default_quota_gb", "err.host_default_quota_gb.budget"},
		{"the number of accounts has a ceiling", func(f *onboarding.HostForm) { f.DefaultAccounts = "1001" }, "host_default_accounts", "err.host_default_accounts.range"},
		{"a folder with a slash is refused", func(f *onboarding.HostForm) { f.FolderTemplate = "Projets\nCompta/2026" }, "host_folder_template", "err.host_folder_template.invalid"},
		{"a folder with a backslash is refused", func(f *onboarding.HostForm) { f.FolderTemplate = `Compta\2026` }, "host_folder_template", "err.host_folder_template.invalid"},
		{"a folder named .. is refused", func(f *onboarding.HostForm) { f.FolderTemplate = ".." }, "host_folder_template", "err.host_folder_template.invalid"},
		{"a folder name of 101 characters is refused", func(f *onboarding.HostForm) { f.FolderTemplate = strings.Repeat("a", 101) }, "host_folder_template", "err.host_folder_template.long"},
		{"a folder name of 100 characters is accepted", func(f *onboarding.HostForm) { f.FolderTemplate = strings.Repeat("a", 100) }, "", ""},
		{"more than 50 folders are refused", func(f *onboarding.HostForm) {
			f.FolderTemplate = strings.Repeat("Dossier\n", 51)
		}, "host_folder_template", "err.host_folder_template.too_many"},
		{"a welcome document that does not parse is refused", func(f *onboarding.HostForm) { f.WelcomeFR = "# Bienvenue {{.Association" }, "host_welcome_fr", "err.welcome.invalid"},
		{"a welcome document naming an unknown field is refused", func(f *onboarding.HostForm) { f.WelcomeEN = "Hello {{.Password}}" }, "host_welcome_en", "err.welcome.invalid"},
		{"a welcome document using the known fields is accepted", func(f *onboarding.HostForm) {
			f.WelcomeFR = "# {{.Association}} chez {{.Host}}\n{{range .Folders}}- {{.}}\n{{end}}{{if .HelpURL}}{{.HelpURL}}{{end}}"
		}, "", ""},
		{"a welcome document naming what the service steps made is accepted", func(f *onboarding.HostForm) {
			f.WelcomeFR = "{{with .Services}}{{with .Note \"calendars\"}}{{.Name}} {{if .DAV}}{{.URL}}{{end}}{{end}}{{range .Unserved}}{{.}}{{end}}{{if .NoCall}}Jitsi{{end}}{{end}}"
		}, "", ""},
		{"a welcome document naming an unknown field of a service note is refused", func(f *onboarding.HostForm) {
			f.WelcomeFR = "{{with .Services.Note \"tasks\"}}{{.Password}}{{end}}"
		}, "host_welcome_fr", "err.welcome.invalid"},
		{"a welcome document naming an unknown field in an optional branch is refused", func(f *onboarding.HostForm) {
			f.WelcomeEN = "{{if .HostEmail}}{{.HostPassword}}{{end}}"
		}, "host_welcome_en", "err.welcome.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validHostForm("ile-numerique")
			tt.change(f)
			fe := f.Validate()
			if tt.field == "" {
				if len(fe) > 0 {
					t.Fatalf("errors %v", fe)
				}
				return
			}
			if len(fe) != 1 || fe[0].Field != tt.field || fe[0].Key != tt.key {
				t.Errorf("errors %v, want %s on %s alone", fe, tt.key, tt.field)
			}
		})
	}
	t.Run("values are normalized", func(t *testing.T) {
		f := validHostForm(" Ile-Numerique ")
		f.Departements, f.Website, f.ContactEmail = "69;2a 01 69", "ile.example", "Contact@ILE.example"
		if fe := f.Validate(); len(fe) > 0 {
			t.Fatal(fe)
		}
		if f.Slug != "ile-numerique" || f.Website != "https://ile.example" || f.ContactEmail != "Contact@ile.example" {
			t.Errorf("form = %+v", f)
		}
	})
}

func TestValidWelcome(t *testing.T) {
	for _, lang := range templates.Languages {
		if !onboarding.ValidWelcome(templates.Welcome(lang)) {
			t.Errorf("the standard %s welcome document is refused", lang)
		}
	}
}

func TestConnectionValidate(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		user     string
		password string
		want     []string
	}{
		{"an https address with account and password is accepted", "https://cloud.ile.example/", "archipel", "abcde-fghij-klmno-pqrst-uvwxy", nil},
		{"plain http is accepted on this machine only", "http://127.0.0.1:8081", "admin", "secret", nil},
		{"plain http elsewhere is refused", "http://cloud.ile.example", "admin", "secret", []string{"nc_url:err.nc_url.https"}},
		{"an address with credentials is refused", "https://admin:pw@cloud.ile.example", "admin", "secret", []string{"nc_url:err.url.invalid"}},
		{"everything is required", "", "", "", []string{"nc_url:err.nc_url.required", "nc_user:err.nc_user.required", "nc_password:err.nc_password.required"}},
		{"an account with a control character is refused", "https://cloud.ile.example", "ad\nmin", "secret", []string{"nc_user:err.nc_user.invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &onboarding.Connection{URL: tt.url, User: tt.user}
			var got []string
			for _, e := range c.Validate(tt.password) {
				got = append(got, e.Field+":"+e.Key)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors %q, want %q", got, tt.want)
			}
		})
	}
}

// matchFixture is a Store on a fresh database (SQLite, or PostgreSQL with
// ARCHIPEL_TEST_POSTGRES) with a clock safe for concurrent use that moves
// a second on at every reading.
type matchFixture struct {
	t     *testing.T
	ctx   context.Context
	db    *database.DB
	store *onboarding.Store
	n     int
}

func newMatchFixture(t *testing.T) *matchFixture {
	t.Helper()
	db := dbtest.Open(t)
	var mu sync.Mutex
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	return &matchFixture{t: t, ctx: context.Background(), db: db, store: onboarding.NewStore(db, now)}
}

// host creates a host serving deps ("*" or codes) with services and a
// capacity, and returns its id.
func (f *matchFixture) host(slug, deps, services string, capacity int) string {
	f.t.Helper()
	form := validHostForm(slug)
	form.Name, form.Departements, form.Services = strings.ToUpper(slug[:1])+slug[1:], deps, strings.Split(services, ",")
	form.MaxAssociations = fmt.Sprint(capacity)
	id, fe, err := f.store.CreateHost(f.ctx, queueAdmin, form)
	if err != nil || len(fe) > 0 {
		f.t.Fatalf("create host %s: %v %v", slug, fe, err)
	}
	return id
}

// request submits a complete request from a postcode asking for services,
// the association letting the archipelago choose its host.
func (f *matchFixture) request(postcode string, services ...string) *onboarding.Application {
	f.t.Helper()
	f.n++
	as := onboarding.AssociationStep{Name: fmt.Sprintf("Association %d", f.n), LegalForm: "loi1901", Postcode: postcode, Town: "Ville",
		Purpose: "Faire vivre le quartier", Sector: "social", ContactEmail: fmt.Sprintf("contact%d@example.org", f.n)}
	if fe := as.Validate(); len(fe) > 0 {
		f.t.Fatalf("association: %v", fe)
	}
	a, _, err := f.store.Create(f.ctx, "fr", as)
	if err != nil {
		f.t.Fatal(err)
	}
	a.Answers.Members = onboarding.MembersStep{Members: "10", Volunteers: "2", Employees: "0", ContactName: "Anne Martin", ContactRole: "présidente"}
	a.Answers.Needs = onboarding.NeedsStep{Services: services, Accounts: "5", StorageGB: "10", When: "asap", Training: "no"}
	a.Answers.Host = onboarding.HostStep{Choice: onboarding.HostChoiceAuto, Contribution: "free"}
	a.Answers.Consent = onboarding.ConsentStep{DataProcessing: "yes", HostTerms: "yes", FollowUp: "no"}
	if err := f.store.Save(f.ctx, a, onboarding.StepHost); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.Verify(f.ctx, a); err != nil {
		f.t.Fatal(err)
	}
	hosts, err := f.store.OpenHosts(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.Submit(f.ctx, a, hosts); err != nil {
		f.t.Fatal(err)
	}
	return a
}

// setStatus moves a request straight to a status, as the staff's pages
// and provisioning would.
func (f *matchFixture) setStatus(a *onboarding.Application, st onboarding.Status) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.ctx, `UPDATE applications SET status = $1 WHERE id = $2`, st, a.ID); err != nil {
		f.t.Fatal(err)
	}
	a.Status = st
}

func (f *matchFixture) events(id string, publicOnly bool) []string {
	f.t.Helper()
	events, err := f.store.Events(f.ctx, id, publicOnly)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

func TestStoreHosts(t *testing.T) {
	f := newMatchFixture(t)
	id, fe, err := f.store.CreateHost(f.ctx, queueAdmin, validHostForm("ile-numerique"))
	if err != nil || len(fe) > 0 {
		t.Fatalf("create: %v %v", fe, err)
	}
	t.Run("a created host reads back as typed, open and not connected", func(t *testing.T) {
		h, err := f.store.GetHost(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if h.Slug != "ile-numerique" || h.Name != "L'Île numérique" || !slices.Equal(h.Departements, []string{"69", "01"}) ||
			!slices.Equal(h.Services, []string{"files", "calendars"}) || h.MaxAssociations != 20 || h.Paused || h.Connected() ||
			h.FolderTemplate != nil || !h.LastAssignedAt.IsZero() {
			t.Errorf("host = %+v", h)
		}
	})
	t.Run("a slug already taken is a field error", func(t *testing.T) {
		form := validHostForm("ile-numerique")
		_, fe, err := f.store.CreateHost(f.ctx, queueAdmin, form)
		if err != nil || len(fe) != 1 || fe[0].Field != "host_slug" || fe[0].Key != "err.host_slug.taken" {
			t.Errorf("create = %v, %v", fe, err)
		}
	})
	t.Run("an invalid form stores nothing", func(t *testing.T) {
		form := validHostForm("autre")
		form.Departements = "99"
		if _, fe, err := f.store.CreateHost(f.ctx, queueAdmin, form); err != nil || fe.For("host_departements") == "" {
			t.Errorf("create = %v, %v", fe, err)
		}
		hosts, _ := f.store.ListHosts(f.ctx)
		if len(hosts) != 1 {
			t.Errorf("%d hosts", len(hosts))
		}
	})
	t.Run("an update changes everything but the slug", func(t *testing.T) {
		form := validHostForm("autre-slug")
		form.Name, form.Departements, form.FolderTemplate, form.WelcomeEN = "Île numérique", "*", "Bureau\n\n  Projets  ", "Hi {{.Association}}"
		fe, err := f.store.UpdateHost(f.ctx, queueAdmin, id, form)
		if err != nil || len(fe) > 0 {
			t.Fatalf("update: %v %v", fe, err)
		}
		h, _ := f.store.GetHost(f.ctx, id)
		if h.Slug != "ile-numerique" || h.Name != "Île numérique" || !h.ServesAllFrance() ||
			!slices.Equal(h.FolderTemplate, []string{"Bureau", "Projets"}) || h.WelcomeEN != "Hi {{.Association}}" {
			t.Errorf("host = %+v", h)
		}
		if got := h.Form(); got.Departements != "*" || got.FolderTemplate != "Bureau\nProjets" {
			t.Errorf("form = %+v", got)
		}
	})
	t.Run("an unknown host is not found", func(t *testing.T) {
		if _, err := f.store.GetHost(f.ctx, "nope"); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("get = %v", err)
		}
		if _, err := f.store.UpdateHost(f.ctx, queueAdmin, "nope", validHostForm("x")); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("update = %v", err)
		}
		if err := f.store.SetHostPaused(f.ctx, queueAdmin, "nope", true); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("pause = %v", err)
		}
	})
	t.Run("a paused host leaves the sign-up flow and comes back when resumed", func(t *testing.T) {
		if err := f.store.SetHostPaused(f.ctx, queueAdmin, id, true); err != nil {
			t.Fatal(err)
		}
		if open, _ := f.store.OpenHosts(f.ctx); len(open) != 0 {
			t.Errorf("open hosts = %+v", open)
		}
		if err := f.store.SetHostPaused(f.ctx, queueAdmin, id, false); err != nil {
			t.Fatal(err)
		}
		if open, _ := f.store.OpenHosts(f.ctx); len(open) != 1 {
			t.Errorf("open hosts = %+v", open)
		}
	})
	t.Run("the load counts open requests and ready workspaces, not ended ones", func(t *testing.T) {
		statuses := []onboarding.Status{onboarding.StatusSubmitted, onboarding.StatusInfoRequested, onboarding.StatusInterviewPlanned,
			onboarding.StatusApproved, onboarding.StatusProvisioning, onboarding.StatusReady, onboarding.StatusReady,
			onboarding.StatusDeclined, onboarding.StatusWithdrawn}
		for _, st := range statuses {
			a := f.request("69001", "files")
			if a.HostID != "" {
				t.Fatalf("request already has host %s", a.HostID)
			}
			if _, err := f.db.ExecContext(f.ctx, `UPDATE applications SET host_id = $1, status = $2 WHERE id = $3`, id, st, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		h, _ := f.store.GetHost(f.ctx, id)
		if h.Load.Open != 5 || h.Load.Active != 2 || h.Load.Total() != 7 {
			t.Errorf("load = %+v", h.Load)
		}
		hosts, _ := f.store.ListHosts(f.ctx)
		if len(hosts) != 1 || hosts[0].Load != h.Load {
			t.Errorf("listed load = %+v", hosts)
		}
	})
}

// TestHostAdministrationCommitsWithItsAuditLine checks that creating,
// changing and pausing a host are an administrator's (anyone else: not
// found) and commit with their audit line: when it fails, nothing is kept.
func TestHostAdministrationCommitsWithItsAuditLine(t *testing.T) {
	f := newMatchFixture(t)
	audit := accounts.NewStore(f.db, nil)
	gone, cancel := context.WithCancel(f.ctx)
	cancel()
	failing := audit.RecordIn(gone, queueAdmin, accounts.ActionHostUpdated, "", "", "")
	id, fe, err := f.store.CreateHost(f.ctx, queueAdmin, validHostForm("atoll"))
	if err != nil || len(fe) > 0 {
		t.Fatal(fe, err)
	}
	// Even the host's own staff may not change it.
	staff := &accounts.User{ID: "s", Role: accounts.RoleStaff, HostID: id}
	for _, who := range []*accounts.User{nil, staff} {
		if _, _, err := f.store.CreateHost(f.ctx, who, validHostForm("intrus")); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("create by %+v: %v", who, err)
		}
		if _, err := f.store.UpdateHost(f.ctx, who, id, validHostForm("atoll")); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("update by %+v: %v", who, err)
		}
		if err := f.store.SetHostPaused(f.ctx, who, id, true); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("pause by %+v: %v", who, err)
		}
	}
	if _, _, err := f.store.CreateHost(f.ctx, queueAdmin, validHostForm("sans-trace"), func(string) database.Then { return failing }); err == nil {
		t.Fatal("created without its audit line")
	}
	var kept int
	if err := f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM hosts WHERE slug = 'sans-trace'`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("a failing audit write kept %d hosts, %v", kept, err)
	}
	before, err := f.store.GetHost(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	changed := validHostForm("atoll")
	changed.Name = "Nom sans trace"
	if fe, err := f.store.UpdateHost(f.ctx, queueAdmin, id, changed, failing); err == nil || len(fe) > 0 {
		t.Fatalf("changed without its audit line (%v)", fe)
	}
	if err := f.store.SetHostPaused(f.ctx, queueAdmin, id, true, failing); err == nil {
		t.Fatal("paused without its audit line")
	}
	after, err := f.store.GetHost(f.ctx, id)
	if err != nil || after.Name != before.Name || after.Paused != before.Paused {
		t.Errorf("a failing audit write kept a change: %q paused %t, %v", after.Name, after.Paused, err)
	}
	var lines int
	if err := f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&lines); err != nil || lines != 0 {
		t.Errorf("%d audit lines, %v", lines, err)
	}
}
