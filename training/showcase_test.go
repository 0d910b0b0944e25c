package training_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/onboarding"
	"archipel/privlink"
	"archipel/training"
)

// showcaseFixture is a Showcase on a fresh database (SQLite, or PostgreSQL
// when ARCHIPEL_TEST_POSTGRES is set) with two hosts, and a clock that moves
// a second on at every reading so that times are distinct.
type showcaseFixture struct {
	t     *testing.T
	ctx   context.Context
	db    *database.DB
	cases *training.Store
	sc    *training.Showcase
	apps  *onboarding.Store
	mu    sync.Mutex
	clock time.Time
	n     int
}

func newShowcaseFixture(t *testing.T) *showcaseFixture {
	t.Helper()
	f := &showcaseFixture{t: t, ctx: context.Background(), db: dbtest.Open(t), clock: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	f.cases = training.NewStore(f.db, f.now)
	f.sc = training.NewShowcase(f.db, f.now)
	f.apps = onboarding.NewStore(f.db, f.now)
	f.host("h-ile", "ile-numerique", "L'Île numérique", "69,01", false)
	f.host("h-recif", "recif-solidaire", "Récif solidaire", "*", true)
	return f
}

func (f *showcaseFixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = f.clock.Add(time.Second)
	return f.clock
}

func (f *showcaseFixture) host(id, slug, name, deps string, paused bool) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.ctx, `INSERT INTO hosts (id, slug, name, region, departements, services, paused, created_at, updated_at)
		VALUES ($1, $2, $3, 'Auvergne-Rhône-Alpes', $4, 'files,calendars', $5, $6, $6)`, id, slug, name, deps, paused, f.now()); err != nil {
		f.t.Fatalf("seed host %s: %v", slug, err)
	}
}

// closedCase makes a case the way the service does: a request, its
// workspace, the case opened for it, then closed with the outcome (none
// leaves it open).
func (f *showcaseFixture) closedCase(hostID, name, dep string, outcome training.Outcome) *training.Case {
	f.t.Helper()
	f.n++
	app, _, err := f.apps.Create(f.ctx, "fr", onboarding.AssociationStep{Name: name, Town: "Lyon", Departement: dep,
		ContactEmail: fmt.Sprintf("contact%d@example.org", f.n), LegalID: fmt.Sprintf("W69%07d", f.n)})
	if err != nil {
		f.t.Fatalf("create request: %v", err)
	}
	app.Answers.Needs.Services = []string{"calendars", "files"}
	app.Answers.Members.ContactName = "Anne Martin"
	if err := f.apps.Save(f.ctx, app, onboarding.StepNeeds); err != nil {
		f.t.Fatalf("save request: %v", err)
	}
	if _, err := f.db.ExecContext(f.ctx, `UPDATE applications SET status = 'ready', host_id = $1 WHERE id = $2`, hostID, app.ID); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.ExecContext(f.ctx, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
		VALUES ($1, $2, 'https://cloud.example', 'admin', 'grp', 'Asso', 1, $3)`, app.ID, hostID, f.now()); err != nil {
		f.t.Fatalf("seed workspace: %v", err)
	}
	if _, err := f.cases.OpenCases(f.ctx); err != nil {
		f.t.Fatalf("open cases: %v", err)
	}
	c, err := f.cases.ByApplication(f.ctx, app.ID)
	if err != nil {
		f.t.Fatalf("case of request: %v", err)
	}
	if outcome != "" {
		if err := f.cases.Close(f.ctx, &accounts.User{Role: accounts.RoleAdmin}, c, outcome, "done"); err != nil {
			f.t.Fatalf("close case: %v", err)
		}
	}
	return c
}

func validText(name, dep string) training.ShowcaseText {
	return training.ShowcaseText{Association: name, Town: "Lyon", Departement: dep,
		Story: "Des fichiers éparpillés sur trois clés USB ; aujourd'hui un espace partagé par tout le bureau.",
		Quote: "Enfin tout au même endroit.", Services: []string{"files", "calendars"}}
}

// publish drafts an entry for a closed case and has the association
// consent to it; it returns the entry and the private link's token.
func (f *showcaseFixture) publish(c *training.Case, text training.ShowcaseText) (*training.ShowcaseEntry, string) {
	f.t.Helper()
	e, _, err := f.sc.Save(f.ctx, showcaseAdmin, c, text, 0)
	if err != nil {
		f.t.Fatalf("save entry: %v", err)
	}
	token, err := f.sc.AskConsent(f.ctx, e)
	if err != nil {
		f.t.Fatalf("ask consent: %v", err)
	}
	e, err = f.sc.Consent(f.ctx, token, e.Version, e.Text.Quote)
	if err != nil {
		f.t.Fatalf("consent: %v", err)
	}
	return e, token
}

// public reports whether an entry can be seen publicly, and checks that the
// page, the listings and the logo all agree.
func (f *showcaseFixture) public(t *testing.T, id string) bool {
	t.Helper()
	_, pageErr := f.sc.PublishedEntry(f.ctx, id)
	if pageErr != nil && !errors.Is(pageErr, apperr.ErrNotFound) {
		t.Fatal(pageErr)
	}
	page, err := f.sc.Published(f.ctx, training.ShowcaseFilter{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, e := range page.Entries {
		listed = listed || e.ID == id
	}
	// Every entry of these tests names "files": the service filter, which
	// reads the public index of services, must agree.
	bySvc, err := f.sc.Published(f.ctx, training.ShowcaseFilter{Service: "files", PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	listedBySvc := false
	for _, e := range bySvc.Entries {
		listedBySvc = listedBySvc || e.ID == id
	}
	if listedBySvc != listed || bySvc.Total != len(bySvc.Entries) {
		t.Fatalf("listed %t, by service %t (total %d)", listed, listedBySvc, bySvc.Total)
	}
	exported := false
	if err := f.sc.EachPublished(f.ctx, training.ShowcaseFilter{}, func(e *training.ShowcaseEntry) error {
		exported = exported || e.ID == id
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if (pageErr == nil) != listed || listed != exported {
		t.Fatalf("entry page %v, listed %t, exported %t: they disagree", pageErr, listed, exported)
	}
	return listed
}

func wantCode(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	if apperr.CodeOf(err) != code || (key != "" && apperr.KeyOf(err) != key) {
		t.Fatalf("error %v, want %s (%s)", err, code, key)
	}
}

func TestShowcaseNeedsACaseClosedAsASuccess(t *testing.T) {
	f := newShowcaseFixture(t)
	for _, tt := range []struct {
		name string
		c    *training.Case
	}{
		{"an open case cannot have an entry", f.closedCase("h-ile", "Ouverte", "69", "")},
		{"a dropped case cannot have an entry", f.closedCase("h-ile", "Abandon", "69", training.OutcomeDropped)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.sc.Save(f.ctx, showcaseAdmin, tt.c, validText("Asso", "69"), 0)
			wantCode(t, err, apperr.Conflict, "err.showcase.not_success")
		})
	}
	c := f.closedCase("h-ile", "Les Amis du Vélo", "69", training.OutcomeSuccess)
	t.Run("the draft of a new entry is taken from the case", func(t *testing.T) {
		d := training.DraftFor(c)
		if d.Association != "Les Amis du Vélo" || d.Town != "Lyon" || d.Departement != "69" || strings.Join(d.Services, ",") != "files,calendars" {
			t.Errorf("draft %+v", d)
		}
	})
}

func TestShowcaseConsentRules(t *testing.T) {
	f := newShowcaseFixture(t)
	c := f.closedCase("h-ile", "Les Amis du Vélo", "69", training.OutcomeSuccess)
	e, res, err := f.sc.Save(f.ctx, showcaseAdmin, c, validText("Les Amis du Vélo", "69"), 0)
	if err != nil || !res.Changed || e.Status != training.ShowcaseDraft || e.Version != 1 || e.Region != "Auvergne-Rhône-Alpes" {
		t.Fatalf("Save = %+v, %+v, %v", e, res, err)
	}

	t.Run("a draft is not public", func(t *testing.T) {
		if f.public(t, e.ID) {
			t.Error("a draft is public")
		}
	})
	t.Run("saving the same text makes no new version", func(t *testing.T) {
		_, res, err := f.sc.Save(f.ctx, showcaseAdmin, c, validText("Les Amis du Vélo", "69"), 1)
		if err != nil || res.Changed {
			t.Fatalf("Save = %+v, %v", res, err)
		}
	})
	t.Run("a form based on an old version is a conflict", func(t *testing.T) {
		_, _, err := f.sc.Save(f.ctx, showcaseAdmin, c, validText("Autre nom", "69"), 7)
		wantCode(t, err, apperr.Conflict, "err.showcase.changed")
	})

	token, err := f.sc.AskConsent(f.ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the private link has at least 128 bits and only its hash is stored", func(t *testing.T) {
		if len(token) < 22 {
			t.Errorf("token %q is short", token)
		}
		var n int
		if err := f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM showcase_links WHERE hash = $1`, privlink.Hash(token)).Scan(&n); err != nil || n != 1 {
			t.Errorf("links with the hash: %d, %v", n, err)
		}
		if err := f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM showcase_links WHERE hash = $1`, token).Scan(&n); err != nil || n != 0 {
			t.Errorf("the token is stored in clear")
		}
	})
	t.Run("an entry waiting for consent is not public", func(t *testing.T) {
		got, _, err := f.sc.ByLink(f.ctx, token)
		if err != nil || got.Status != training.ShowcasePending || f.public(t, e.ID) {
			t.Fatalf("ByLink = %+v, %v", got, err)
		}
	})
	t.Run("an unknown link opens nothing", func(t *testing.T) {
		for _, bad := range []string{"", "short", strings.Repeat("A", 43), token + "x"} {
			_, _, err := f.sc.ByLink(f.ctx, bad)
			wantCode(t, err, apperr.NotFound, "err.showcase.link_unknown")
		}
	})
	t.Run("consent to a version the association did not read is refused", func(t *testing.T) {
		_, err := f.sc.Consent(f.ctx, token, e.Version+1, e.Text.Quote)
		wantCode(t, err, apperr.Conflict, "err.showcase.changed")
		if f.public(t, e.ID) {
			t.Error("published without consent")
		}
	})

	t.Run("consent publishes and is recorded with the version, the digest and the link", func(t *testing.T) {
		got, err := f.sc.Consent(f.ctx, token, e.Version, e.Text.Quote)
		if err != nil || !got.Published() || got.PublishedAt.IsZero() {
			t.Fatalf("Consent = %+v, %v", got, err)
		}
		if !f.public(t, e.ID) {
			t.Fatal("a consented entry is not public")
		}
		cs, err := f.sc.Consents(f.ctx, e.ID)
		if err != nil || len(cs) != 1 {
			t.Fatalf("Consents = %+v, %v", cs, err)
		}
		want := validText("Les Amis du Vélo", "69")
		want.Normalize()
		if c := cs[0]; c.Decision != training.DecisionGiven || c.EntryVersion != 1 || c.TextDigest != want.Digest("") ||
			c.LinkHash != privlink.Hash(token) || c.At.IsZero() {
			t.Errorf("consent %+v", c)
		}
	})

	t.Run("a change to the text unpublishes it until the association consents again", func(t *testing.T) {
		cur, err := f.sc.ForCase(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		changed := cur.Text
		changed.Story += " Et un agenda commun."
		got, res, err := f.sc.Save(f.ctx, showcaseAdmin, c, changed, cur.Version)
		if err != nil || !res.Changed || !res.Reconsent || got.Version != 2 || got.Status != training.ShowcasePending {
			t.Fatalf("Save = %+v, %+v, %v", got, res, err)
		}
		if f.public(t, e.ID) {
			t.Fatal("a changed text stays public without consent")
		}
		_, err = f.sc.Consent(f.ctx, token, 1, cur.Text.Quote)
		wantCode(t, err, apperr.Conflict, "err.showcase.changed")
		if got, err := f.sc.Consent(f.ctx, token, 2, cur.Text.Quote); err != nil || !got.Published() || got.ConsentVersion != 2 {
			t.Fatalf("Consent = %+v, %v", got, err)
		}
		if !f.public(t, e.ID) {
			t.Fatal("re-consented entry is not public")
		}
	})

	t.Run("the association may rewrite its quote as it consents", func(t *testing.T) {
		got, err := f.sc.Consent(f.ctx, token, 2, "  Nous avons repris la main sur nos données.  ")
		if err != nil || !got.Published() || got.Version != 3 || got.Text.Quote != "Nous avons repris la main sur nos données." {
			t.Fatalf("Consent = %+v, %v", got, err)
		}
		cs, _ := f.sc.Consents(f.ctx, e.ID)
		last := cs[len(cs)-1]
		if last.EntryVersion != 3 || last.TextDigest != got.TextDigest {
			t.Errorf("last consent %+v, entry digest %s", last, got.TextDigest)
		}
		_, err = f.sc.Consent(f.ctx, token, 3, strings.Repeat("x", training.MaxShowcaseQuote+1))
		wantCode(t, err, apperr.Invalid, "err.too_long")
	})

	t.Run("withdrawal removes the entry everywhere at once", func(t *testing.T) {
		before, err := f.sc.Stamp(f.ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.sc.Withdraw(f.ctx, token)
		if err != nil || got.Status != training.ShowcaseWithdrawn || got.WithdrawnAt.IsZero() {
			t.Fatalf("Withdraw = %+v, %v", got, err)
		}
		if f.public(t, e.ID) {
			t.Fatal("a withdrawn entry is public")
		}
		if _, _, err := f.sc.PublishedLogo(f.ctx, e.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("logo of a withdrawn entry: %v", err)
		}
		after, _ := f.sc.Stamp(f.ctx, false)
		if after.Key == before.Key {
			t.Error("the stamp did not change")
		}
		cs, _ := f.sc.Consents(f.ctx, e.ID)
		if last := cs[len(cs)-1]; last.Decision != training.DecisionWithdrawn || last.EntryVersion != 3 {
			t.Errorf("last decision %+v", last)
		}
	})

	t.Run("a withdrawn text cannot be asked about again, a changed one can", func(t *testing.T) {
		cur, _ := f.sc.ForCase(f.ctx, c.ID)
		_, err := f.sc.AskConsent(f.ctx, cur)
		wantCode(t, err, apperr.Conflict, "err.showcase.decided")
		changed := cur.Text
		changed.Town = "Villeurbanne"
		cur, res, err := f.sc.Save(f.ctx, showcaseAdmin, c, changed, cur.Version)
		if err != nil || res.Reconsent || cur.Status != training.ShowcaseWithdrawn {
			t.Fatalf("Save = %+v, %+v, %v", cur, res, err)
		}
		if _, err := f.sc.AskConsent(f.ctx, cur); err != nil {
			t.Fatalf("AskConsent after a change: %v", err)
		}
		if f.public(t, e.ID) {
			t.Error("asking again published the entry")
		}
	})

	t.Run("a refusal keeps the entry private, and the association may change its mind", func(t *testing.T) {
		cur, _ := f.sc.ForCase(f.ctx, c.ID)
		got, err := f.sc.Refuse(f.ctx, token, cur.Version)
		if err != nil || got.Status != training.ShowcaseRefused || f.public(t, e.ID) {
			t.Fatalf("Refuse = %+v, %v", got, err)
		}
		if got, err := f.sc.Consent(f.ctx, token, cur.Version, cur.Text.Quote); err != nil || !got.Published() {
			t.Fatalf("Consent after refusal = %+v, %v", got, err)
		}
		if !f.public(t, e.ID) {
			t.Error("not public after consent")
		}
	})

	t.Run("the database itself refuses a published text without consent to it", func(t *testing.T) {
		_, err := f.db.ExecContext(f.ctx, `UPDATE showcase_entries SET version = version + 1 WHERE id = $1 AND status = 'published'`, e.ID)
		if err == nil {
			t.Fatal("a published entry changed version without consent")
		}
		if !f.public(t, e.ID) {
			t.Error("the refused change unpublished the entry")
		}
	})

	t.Run("every link e-mailed keeps working", func(t *testing.T) {
		cur, _ := f.sc.ForCase(f.ctx, c.ID)
		second, err := f.sc.AskConsent(f.ctx, cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{token, second} {
			if got, _, err := f.sc.ByLink(f.ctx, tok); err != nil || got.ID != e.ID {
				t.Errorf("ByLink = %v, %v", got, err)
			}
		}
		if got, _ := f.sc.ForCase(f.ctx, c.ID); !got.Published() {
			t.Error("sending a new link unpublished the entry")
		}
	})
}

func TestShowcaseTextValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name   string
		change func(*training.ShowcaseText)
		field  string
		key    string
	}{
		{"a complete text is valid", func(*training.ShowcaseText) {}, "", ""},
		{"the name is required", func(t *training.ShowcaseText) { t.Association = "  " }, "showcase_name", "err.showcase.name_required"},
		{"the name has a limit", func(t *training.ShowcaseText) { t.Association = long(201) }, "showcase_name", "err.too_long"},
		{"the town is required", func(t *training.ShowcaseText) { t.Town = "" }, "showcase_town", "err.showcase.town_required"},
		{"an unknown département is refused", func(t *training.ShowcaseText) { t.Departement = "20" }, "showcase_departement", "err.showcase.departement"},
		{"the story is required", func(t *training.ShowcaseText) { t.Story = "\n\n" }, "showcase_story", "err.showcase.story_required"},
		{"the story has a limit", func(t *training.ShowcaseText) { t.Story = long(2001) }, "showcase_story", "err.too_long"},
		{"the quote is optional", func(t *training.ShowcaseText) { t.Quote = "" }, "", ""},
		{"the quote has a limit", func(t *training.ShowcaseText) { t.Quote = long(501) }, "showcase_quote", "err.too_long"},
		{"an unknown service is refused", func(t *training.ShowcaseText) { t.Services = []string{"files", "<script>"} }, "showcase_services", "err.choice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := validText("Les Amis du Vélo", "69")
			tt.change(&text)
			fe := text.Validate()
			if tt.field == "" && len(fe) > 0 || tt.field != "" && fe.For(tt.field) != tt.key {
				t.Errorf("Validate = %+v", fe)
			}
		})
	}
	t.Run("control characters are dropped and line breaks kept only in long texts", func(t *testing.T) {
		text := training.ShowcaseText{Association: " A\x00s\u2028so\n ", Town: "Ly\ton", Departement: " 2a ",
			Story: "Avant\r\nAprès\x1b", Quote: "«\x07 ok »", Services: []string{"calendars", "files", "files"}}
		text.Normalize()
		if text.Association != "Asso" || text.Town != "Ly on" || text.Departement != "2A" || text.Story != "Avant\nAprès" ||
			text.Quote != "« ok »" || strings.Join(text.Services, ",") != "files,calendars" {
			t.Errorf("Normalize = %#v", text)
		}
		if text.Region() != "Corse" {
			t.Errorf("region %q", text.Region())
		}
	})
	t.Run("the digest covers every published word and the logo", func(t *testing.T) {
		a := validText("A", "69")
		b := a
		b.Quote += "!"
		if a.Digest("") == b.Digest("") || a.Digest("") == a.Digest("logo") || a.Digest("") != validText("A", "69").Digest("") {
			t.Error("digest does not follow the text")
		}
	})
}

func TestShowcaseFiltersAndPages(t *testing.T) {
	f := newShowcaseFixture(t)
	var ids []string // newest last
	for i, spec := range []struct{ host, dep string }{
		{"h-ile", "69"}, {"h-ile", "01"}, {"h-recif", "29"}, {"h-recif", "69"}, {"h-ile", "974"},
	} {
		name := fmt.Sprintf("Asso %d", i)
		c := f.closedCase(spec.host, name, spec.dep, training.OutcomeSuccess)
		text := validText(name, spec.dep)
		if i%2 == 1 {
			text.Services = []string{"video"}
		}
		e, _ := f.publish(c, text)
		ids = append(ids, e.ID)
	}
	// A draft never shows, whatever the filter.
	f.sc.Save(f.ctx, showcaseAdmin, f.closedCase("h-ile", "Brouillon", "69", training.OutcomeSuccess), validText("Brouillon", "69"), 0)

	list := func(filter training.ShowcaseFilter) ([]string, int) {
		t.Helper()
		page, err := f.sc.Published(f.ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range page.Entries {
			out = append(out, e.ID)
		}
		return out, page.Total
	}
	tests := []struct {
		name   string
		filter training.ShowcaseFilter
		want   []int // indexes in ids, in order
	}{
		{"everything, newest first", training.ShowcaseFilter{}, []int{4, 3, 2, 1, 0}},
		{"by region", training.ShowcaseFilter{Region: "Auvergne-Rhône-Alpes"}, []int{3, 1, 0}},
		{"by département, whatever its case", training.ShowcaseFilter{Departement: " 69"}, []int{3, 0}},
		{"an overseas département", training.ShowcaseFilter{Departement: "974"}, []int{4}},
		{"by host", training.ShowcaseFilter{Host: "recif-solidaire"}, []int{3, 2}},
		{"by service", training.ShowcaseFilter{Service: "video"}, []int{3, 1}},
		{"by several at once", training.ShowcaseFilter{Host: "ile-numerique", Service: "files"}, []int{4, 0}},
		{"an unknown region matches nothing", training.ShowcaseFilter{Region: "Atlantide"}, nil},
		{"an unknown host matches nothing", training.ShowcaseFilter{Host: "' OR 1=1 --"}, nil},
		{"an unknown service matches nothing", training.ShowcaseFilter{Service: "<script>"}, nil},
		{"a huge value matches nothing", training.ShowcaseFilter{Region: strings.Repeat("x", 10000)}, nil},
		{"the second page", training.ShowcaseFilter{Page: 2, PerPage: 2}, []int{2, 1}},
		{"the last page", training.ShowcaseFilter{Page: 3, PerPage: 2}, []int{0}},
		{"a page past the end is empty", training.ShowcaseFilter{Page: 99, PerPage: 2}, nil},
		{"a negative page is the first", training.ShowcaseFilter{Page: -3, PerPage: 2}, []int{4, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := list(tt.filter)
			var want []string
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v, want %v", got, want)
			}
			if tt.filter.Page <= 1 && total != len(want) && tt.filter.PerPage == 0 {
				t.Errorf("total %d", total)
			}
		})
	}
	t.Run("paging counts pages", func(t *testing.T) {
		page, _ := f.sc.Published(f.ctx, training.ShowcaseFilter{Page: 2, PerPage: 2})
		if page.Total != 5 || page.Pages() != 3 || !page.HasNext() || !page.HasPrev() {
			t.Errorf("page %+v, %d pages", page, page.Pages())
		}
		empty, _ := f.sc.Published(f.ctx, training.ShowcaseFilter{Region: "Atlantide"})
		if empty.Pages() != 1 || empty.HasNext() || empty.HasPrev() {
			t.Errorf("empty page %+v", empty)
		}
	})
}

func TestShowcaseDirectoryAndFigures(t *testing.T) {
	f := newShowcaseFixture(t)
	c1 := f.closedCase("h-ile", "Asso 1", "69", training.OutcomeSuccess)
	f.closedCase("h-ile", "Asso 2", "01", training.OutcomeDropped)
	f.closedCase("h-ile", "Asso 3", "01", "")
	f.publish(c1, validText("Asso 1", "69"))

	dir, err := f.sc.Directory(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dir) != 2 {
		t.Fatalf("%d hosts", len(dir))
	}
	ile, recif := dir[0], dir[1]
	if ile.Slug != "ile-numerique" || ile.Accompanied != 3 || ile.Published != 1 || len(ile.Latest) != 1 || !ile.Open ||
		strings.Join(ile.Departements, ",") != "69,01" || strings.Join(ile.Regions, ",") != "Auvergne-Rhône-Alpes" ||
		strings.Join(ile.Services, ",") != "files,calendars" {
		t.Errorf("directory line %+v", ile)
	}
	if recif.Open || !recif.AllFrance || recif.Accompanied != 0 || len(recif.Regions) != 18 {
		t.Errorf("directory line %+v", recif)
	}

	fig, err := f.sc.Figures(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Years) != 1 || fig.Years[0] != 2026 || len(fig.Hosts) != 2 || fig.Total.Accompanied != 3 || fig.Total.Succeeded != 1 {
		t.Fatalf("figures %+v", fig)
	}
	if h := fig.Hosts[0]; h.Slug != "ile-numerique" || h.ByYear[0] != (training.YearCount{Year: 2026, Accompanied: 3, Succeeded: 1}) {
		t.Errorf("figures of %+v", h)
	}
	if h := fig.Hosts[1]; h.Total.Accompanied != 0 || len(h.ByYear) != 1 {
		t.Errorf("figures of %+v", h)
	}
}

// showcaseAdmin acts in tests whose subject is not who may act.
var showcaseAdmin = &accounts.User{ID: "admin", Role: accounts.RoleAdmin}
