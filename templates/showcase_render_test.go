package templates_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"archipel/onboarding"
	"archipel/server"
	"archipel/templates"
	"archipel/training"
)

// hostile is what a careless or malicious text could hold.
const hostile = `<script>alert("x")</script> ]]> "quoted" 'single' & <b>`

// renderEntry is a published entry with every field set; hostile puts the
// hostile text in every free text.
func renderEntry(status training.ShowcaseStatus, hostileText bool) *training.ShowcaseEntry {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	e := &training.ShowcaseEntry{ID: "e1", CaseID: "c1", HostID: "h1", HostSlug: "ile-numerique", HostName: "L'Île numérique",
		Text: training.ShowcaseText{Association: "Les Amis du Vélo", Town: "Lyon", Departement: "69",
			Story: "Avant : trois clés USB.\nAprès : un espace partagé.", Quote: "Enfin tout au même endroit.",
			Services: []string{"files", "calendars"}},
		Region: "Auvergne-Rhône-Alpes", Status: status, Version: 2, ConsentVersion: 2, DecidedVersion: 2,
		TextDigest: strings.Repeat("ab", 32), LogoDigest: strings.Repeat("cd", 32), LogoWidth: 400, LogoHeight: 200,
		Logo: []byte("\x89PNG"), PublishedAt: at, CreatedAt: at, UpdatedAt: at}
	if status != training.ShowcasePublished {
		e.ConsentVersion = 1
	}
	if hostileText {
		e.Text.Association, e.Text.Town, e.Text.Story, e.Text.Quote, e.HostName = hostile, hostile, hostile, hostile, hostile
	}
	return e
}

// showcaseRenderCases are the public showcase, directory and figures, the
// association's consent page and the staff's entry page.
func showcaseRenderCases() []renderCase {
	lic := training.ShowcaseLicence
	pub := renderEntry(training.ShowcasePublished, false)
	list := func(entries []training.ShowcaseEntry, f training.ShowcaseFilter, total int) *server.ShowcaseListPage {
		f.Normalize()
		return &server.ShowcaseListPage{Result: &training.ShowcasePage{Filter: f, Entries: entries, Total: total},
			Regions: onboarding.Regions(), Departements: onboarding.Departements(),
			Hosts:    []training.HostName{{Slug: "ile-numerique", Name: "L'Île numérique"}, {Slug: "recif", Name: hostile}},
			Services: onboarding.Services, Licence: lic}
	}
	hosts := []training.HostListing{
		{Slug: "ile-numerique", Name: "L'Île numérique", Website: "https://ile.example", Region: "Auvergne-Rhône-Alpes",
			Departements: []string{"69", "01"}, Regions: []string{"Auvergne-Rhône-Alpes"}, Services: []string{"files"},
			Accompanied: 12, Published: 1, Open: true, Latest: []training.ShowcaseEntry{*pub}},
		{Slug: "recif", Name: hostile, Website: "javascript:alert(1)", AllFrance: true, Regions: onboarding.Regions(), Accompanied: 0},
	}
	figures := &training.Figures{Years: []int{2025, 2026},
		Hosts: []training.HostFigures{
			{Slug: "ile-numerique", Name: "L'Île numérique", ByYear: []training.YearCount{{Year: 2025, Accompanied: 3, Succeeded: 1}, {Year: 2026, Accompanied: 9, Succeeded: 2}}, Total: training.YearCount{Accompanied: 12, Succeeded: 3}},
			{Slug: "recif", Name: hostile, ByYear: []training.YearCount{{Year: 2025, Accompanied: 0, Succeeded: 0}, {Year: 2026, Accompanied: 0, Succeeded: 0}}},
		},
		Totals: []training.YearCount{{Year: 2025, Accompanied: 3, Succeeded: 1}, {Year: 2026, Accompanied: 9, Succeeded: 2}}, Total: training.YearCount{Accompanied: 12, Succeeded: 3}}
	closed := &training.Case{ID: "c1", HostID: "h1", Association: "Les Amis du Vélo", Town: "Lyon", Departement: "69",
		ContactEmail: "anne@example.org", Stage: training.StageClosed, Outcome: training.OutcomeSuccess, Language: "fr"}
	open := *closed
	open.Stage, open.Outcome = training.StageTraining, ""
	staff := func(e *training.ShowcaseEntry, c *training.Case) *server.ShowcaseStaffPage {
		p := &server.ShowcaseStaffPage{Case: c, Entry: e, Eligible: training.Eligible(c), Departements: onboarding.Departements(),
			Services: onboarding.Services, LogoMaxKB: 60, LogoMaxSide: 2048}
		if e != nil {
			p.Form, p.Version, p.Logo = &e.Text, e.Version, "data:image/png;base64,iVBORw0KGgo="
			p.Consents = []training.ShowcaseConsent{{ID: 1, EntryVersion: 1, Decision: training.DecisionGiven, TextDigest: e.TextDigest,
				LinkHash: strings.Repeat("ef", 32), At: e.CreatedAt}}
		} else {
			d := training.DraftFor(c)
			p.Form = &d
		}
		return p
	}
	staffErrors := onboarding.FieldErrors{{Field: "showcase_name", Key: "err.showcase.name_required"},
		{Field: "showcase_town", Key: "err.showcase.town_required"}, {Field: "showcase_departement", Key: "err.showcase.departement"},
		{Field: "showcase_story", Key: "err.showcase.story_required"}, {Field: "showcase_quote", Key: "err.too_long"},
		{Field: "showcase_services", Key: "err.choice"}}
	consent := func(e *training.ShowcaseEntry) *server.ShowcaseConsentPage {
		return &server.ShowcaseConsentPage{Entry: e, Action: "/showcase/consent/tok", Quote: e.Text.Quote, Version: e.Version,
			Logo: "data:image/png;base64,iVBORw0KGgo=", Licence: lic}
	}
	page := func(path, title string, data any) server.Page {
		return server.Page{Path: path, Title: title, Data: data}
	}
	cases := []renderCase{
		{"the showcase", "showcase_list", page("/showcase", "showcase.title", list([]training.ShowcaseEntry{*pub, *renderEntry(training.ShowcasePublished, true)}, training.ShowcaseFilter{}, 2))},
		{"an empty showcase", "showcase_list", page("/showcase", "showcase.title", list(nil, training.ShowcaseFilter{}, 0))},
		{"a filtered showcase with nothing found", "showcase_list", page("/showcase", "showcase.title", list(nil, training.ShowcaseFilter{Region: hostile, Host: "x"}, 0))},
		{"the middle page of a filtered showcase", "showcase_list", page("/showcase", "showcase.title", list([]training.ShowcaseEntry{*pub}, training.ShowcaseFilter{Service: "files", Page: 2}, 100))},
		{"a published entry", "showcase_entry", page("/showcase/e1", "showcase.entry.title", &server.ShowcaseEntryPage{Entry: pub, Licence: lic})},
		{"an entry with hostile texts", "showcase_entry", page("/showcase/e1", "showcase.entry.title", &server.ShowcaseEntryPage{Entry: renderEntry(training.ShowcasePublished, true), Licence: lic})},
		{"the directory of hosts", "hosts_directory", page("/hosts", "hosts.title", &server.HostDirectoryPage{Hosts: hosts, Licence: lic})},
		{"an empty directory", "hosts_directory", page("/hosts", "hosts.title", &server.HostDirectoryPage{Licence: lic})},
		{"the figures", "figures", page("/figures", "figures.title", &server.PublicFiguresPage{Figures: figures, Licence: lic})},
		{"the figures with nothing yet", "figures", page("/figures", "figures.title", &server.PublicFiguresPage{Figures: &training.Figures{}, Licence: lic})},
		{"the staff page of a case still open", "showcase_staff", page("/staff/cases/c1/showcase", "showcase.staff.title", staff(nil, &open))},
		{"the staff page of a new entry", "showcase_staff", page("/staff/cases/c1/showcase", "showcase.staff.title", staff(nil, closed))},
		{"the staff page of a published entry", "showcase_staff", page("/staff/cases/c1/showcase", "showcase.staff.title", staff(renderEntry(training.ShowcasePublished, false), closed))},
		{"the staff page of a withdrawn entry", "showcase_staff", page("/staff/cases/c1/showcase", "showcase.staff.title", staff(renderEntry(training.ShowcaseWithdrawn, true), closed))},
		{"the consent page of a pending entry", "showcase_consent", page("/showcase/consent/tok", "showcase.consent.title", consent(renderEntry(training.ShowcasePending, false)))},
		{"the consent page of a published entry", "showcase_consent", page("/showcase/consent/tok", "showcase.consent.title", consent(renderEntry(training.ShowcasePublished, true)))},
		{"the consent page of a refused entry", "showcase_consent", page("/showcase/consent/tok", "showcase.consent.title", consent(renderEntry(training.ShowcaseRefused, false)))},
	}
	withErrors := page("/staff/cases/c1/showcase", "showcase.staff.title", staff(renderEntry(training.ShowcasePending, false), closed))
	withErrors.Errors, withErrors.FormError = staffErrors, "err.showcase.changed"
	logoError := page("/staff/cases/c1/showcase", "showcase.staff.title", staff(renderEntry(training.ShowcaseDraft, false), closed))
	logoError.Errors = onboarding.FieldErrors{{Field: "showcase_logo", Key: "err.showcase.logo_dimensions"}}
	quoteError := page("/showcase/consent/tok", "showcase.consent.title", consent(renderEntry(training.ShowcasePending, false)))
	quoteError.Errors = onboarding.FieldErrors{{Field: "showcase_quote", Key: "err.too_long"}}
	notice := page("/showcase/consent/tok", "showcase.consent.title", consent(renderEntry(training.ShowcaseWithdrawn, false)))
	notice.Flash = "notice.showcase_withdrawn"
	return append(cases,
		renderCase{"the staff page with an error on every field", "showcase_staff", withErrors},
		renderCase{"the staff page refusing a logo", "showcase_staff", logoError},
		renderCase{"the consent page refusing a quote", "showcase_consent", quoteError},
		renderCase{"the consent page after a withdrawal", "showcase_consent", notice},
	)
}

func TestShowcasePagesEscapeEveryText(t *testing.T) {
	s := loadSet(t)
	for _, tc := range showcaseRenderCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Lang = "fr"
			var buf bytes.Buffer
			if err := s.Render(&buf, "fr", tc.page, p); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			if strings.Contains(html, "<script") || strings.Contains(html, "<b>") {
				t.Errorf("a text went out unescaped:\n%s", html)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Find("script, style, [style]").Length() > 0 {
				t.Error("inline script or style, which the CSP refuses")
			}
			doc.Find("img, link[href], a[href]").Each(func(_ int, sel *goquery.Selection) {
				for _, attr := range []string{"src", "href"} {
					v, ok := sel.Attr(attr)
					if ok && strings.HasPrefix(strings.ToLower(v), "javascript:") {
						t.Errorf("a link runs a script: %s", v)
					}
					if ok && sel.Is("img, link") && (strings.HasPrefix(v, "http") || strings.HasPrefix(v, "//")) {
						t.Errorf("%s loads %s from another origin", goquery.NodeName(sel), v)
					}
				}
			})
		})
	}
}

func TestShowcasePagesAnnounceTheFeed(t *testing.T) {
	s := loadSet(t)
	for _, tc := range showcaseRenderCases() {
		if tc.page != "showcase_list" && tc.page != "showcase_entry" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Lang = "en"
			var buf bytes.Buffer
			if err := s.Render(&buf, "en", tc.page, p); err != nil {
				t.Fatal(err)
			}
			doc, _ := goquery.NewDocumentFromReader(&buf)
			link := doc.Find(`head link[rel="alternate"][type="application/atom+xml"]`)
			if href, _ := link.Attr("href"); link.Length() != 1 || !strings.HasPrefix(href, "/showcase.atom") {
				t.Errorf("feed link %q", href)
			}
			if doc.Find(`a[rel="license"]`).Length() == 0 {
				t.Error("the licence is not stated")
			}
		})
	}
}

func TestShowcaseConsentMail(t *testing.T) {
	s := loadSet(t)
	for _, again := range []bool{false, true} {
		for _, lang := range templates.Languages {
			data := map[string]any{"Name": "Les Amis du Vélo", "Host": "L'Île numérique", "Again": again,
				"Link": "https://archipel.example/showcase/consent/abc?lang=" + lang}
			subject, text, html, err := s.Mail(lang, "showcase_consent", data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(subject, "Les Amis du Vélo") || strings.Contains(subject, "\n") {
				t.Errorf("subject %q", subject)
			}
			if !strings.Contains(text, data["Link"].(string)) || !strings.Contains(html, "showcase/consent/abc") || !strings.Contains(html, `lang="`+lang+`"`) {
				t.Errorf("%s mail without its link:\n%s", lang, text)
			}
		}
	}
}
