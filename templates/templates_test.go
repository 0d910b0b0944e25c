package templates_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pelletier/go-toml/v2"

	"archipel/onboarding"
	"archipel/rights"
	"archipel/server"
	"archipel/templates"
)

func loadSet(t *testing.T) *templates.Set {
	t.Helper()
	s, err := templates.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// readMessages reads a language's message files as they are in the
// repository: locales/LANG.toml and every locales/AREA.LANG.toml.
func readMessages(t *testing.T, lang string) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("locales", "*."+lang+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, name := range append([]string{filepath.Join("locales", lang+".toml")}, names...) {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var file map[string]any
		if err := toml.Unmarshal(raw, &file); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for id, v := range file {
			switch v := v.(type) {
			case string:
				m[id] = v
			case map[string]any: // a plural message: its "other" form stands for it
				other, ok := v["other"].(string)
				if !ok {
					t.Fatalf("%s: plural message %s has no other form", name, id)
				}
				m[id] = other
			default:
				t.Fatalf("%s: message %s is a %T", name, id, v)
			}
		}
	}
	return m
}

var placeholderRe = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(msg string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestMessageFiles(t *testing.T) {
	fr, en := readMessages(t, "fr"), readMessages(t, "en")
	t.Run("fr and en define exactly the same IDs", func(t *testing.T) {
		frIDs, err := templates.MessageIDs("fr")
		if err != nil {
			t.Fatal(err)
		}
		enIDs, err := templates.MessageIDs("en")
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range frIDs {
			if _, ok := slices.BinarySearch(enIDs, id); !ok {
				t.Errorf("%s is in fr.toml but not in en.toml", id)
			}
		}
		for _, id := range enIDs {
			if _, ok := slices.BinarySearch(frIDs, id); !ok {
				t.Errorf("%s is in en.toml but not in fr.toml", id)
			}
		}
	})
	t.Run("no message is empty", func(t *testing.T) {
		for lang, m := range map[string]map[string]string{"fr": fr, "en": en} {
			for id, msg := range m {
				if strings.TrimSpace(msg) == "" {
					t.Errorf("%s: %s is empty", lang, id)
				}
			}
		}
	})
	t.Run("both languages use the same placeholders", func(t *testing.T) {
		for id, msg := range fr {
			if got, want := placeholders(en[id]), placeholders(msg); !slices.Equal(got, want) {
				t.Errorf("%s: en uses %q, fr uses %q", id, got, want)
			}
		}
	})
	t.Run("every message translates in both languages", func(t *testing.T) {
		s := loadSet(t)
		for _, lang := range templates.Languages {
			for id, raw := range fr {
				var args []any
				for _, name := range placeholders(raw) {
					var v any = "x"
					if name == "Count" {
						v = 2 // also picks the plural form
					}
					args = append(args, name, v)
				}
				msg, err := s.T(lang, id, args...)
				if err != nil || msg == "" || strings.Contains(msg, "<no value>") {
					t.Errorf("%s: T(%s) = %q, %v", lang, id, msg, err)
				}
			}
		}
	})
}

func TestT(t *testing.T) {
	s := loadSet(t)
	tests := []struct {
		name    string
		lang    string
		id      string
		args    []any
		want    string
		wantErr bool
	}{
		{"a French message", "fr", "flow.back", nil, "Retour", false},
		{"an English message", "en", "flow.back", nil, "Back", false},
		{"a message with values", "fr", "flow.step_of", []any{"N", 2, "Total", 6}, "Étape 2 sur 6", false},
		{"the same message in English", "en", "flow.step_of", []any{"N", 2, "Total", 6}, "Step 2 of 6", false},
		{"an unsupported language falls back to French", "de", "flow.back", nil, "Retour", false},
		{"a missing ID is an error that names it", "fr", "no.such.message", nil, "no.such.message", true},
		{"a missing ID is an error in English too", "en", "no.such.message", nil, "no.such.message", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.T(tt.lang, tt.id, tt.args...)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("T = %q, %v; want %q, error %t", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.id) {
				t.Errorf("error %q does not name the ID", err)
			}
			if must := s.MustT(tt.lang, tt.id, tt.args...); must != tt.want {
				t.Errorf("MustT = %q", must)
			}
		})
	}
}

func TestMsg(t *testing.T) {
	s := loadSet(t)
	files := []onboarding.Message{{ID: "opt.services.files"}, {ID: "opt.services.calendars"}}
	only := onboarding.StoredMessage("match.reason.only", map[string]any{"Departement": "69", "AllFrance": false,
		"Services": files, "Load": 0, "Capacity": 20, "Eligible": 1})
	france := onboarding.StoredMessage("match.reason.tied", map[string]any{"Departement": "974", "AllFrance": true,
		"Services": files[:1], "Load": 1, "Capacity": 10, "Eligible": 3, "Tied": 2})
	full := onboarding.StoredMessage("match.reason.all_full", map[string]any{"Open": 2, "Serving": 1, "Offering": 1,
		"Departement": "75", "Services": files[:1]})
	tests := []struct {
		name, lang, text, want string
	}{
		{"a stored message is translated into French", "fr", only,
			"dessert le 69, propose Partage de fichiers + Agendas, charge 0/20, seul hébergeur éligible"},
		{"the same message is translated into English", "en", only,
			"serves 69, offers File sharing + Calendars, load 0/20, only eligible host"},
		{"a condition of the message follows its arguments", "fr", france,
			"dessert toute la France (974), propose Partage de fichiers, charge 1/10, à égalité de charge avec d'autres (2 sur 3 éligibles), le moins récemment choisi"},
		{"a reason for waiting is translated into French", "fr", full,
			"aucun hébergeur éligible — ouverts : 2, desservant le 75 : 1, proposant Partage de fichiers : 1, ayant de la place : 0"},
		{"a reason for waiting is translated into English", "en", full,
			"no eligible host — open: 2, serving 75: 1, offering File sharing: 1, with room left: 0"},
		{"a reason typed by staff stays as typed", "en", "Accord de Lyon par téléphone", "Accord de Lyon par téléphone"},
		{"empty text stays empty", "fr", "", ""},
		{"JSON that is not a stored message stays as typed", "fr", `{"id":"match.reason.only","extra":1}`, `{"id":"match.reason.only","extra":1}`},
		{"a stored message whose ID is unknown stays as stored", "fr", `{"id":"no.such.message"}`, `{"id":"no.such.message"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Msg(tt.lang, tt.text); got != tt.want {
				t.Errorf("Msg = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("pages show stored messages translated and typed text escaped", func(t *testing.T) {
		hostile := `<script>alert("x")</script> & co`
		typed, stored := renderApp(onboarding.StatusSubmitted), renderApp(onboarding.StatusSubmitted)
		typed.MatchReason, stored.MatchReason = hostile, full
		for _, lang := range templates.Languages {
			var buf bytes.Buffer
			p := server.Page{Lang: lang, Path: "/staff/admin/queue", Title: "admin.queue.title", User: renderAdmin,
				Data: &server.AdminQueuePage{Requests: []onboarding.Application{*typed, *stored}}}
			if err := s.Render(&buf, lang, "admin_queue", p); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "<script>") || !strings.Contains(buf.String(), "&lt;script&gt;") {
				t.Errorf("%s: typed text not escaped", lang)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			reasons := doc.Find("tbody td.muted")
			if got := reasons.Eq(0).Text(); got != hostile {
				t.Errorf("%s: typed reason shown as %q", lang, got)
			}
			if got, want := reasons.Eq(1).Text(), s.Msg(lang, full); got != want || got == full {
				t.Errorf("%s: stored reason shown as %q, want %q", lang, got, want)
			}
		}
	})
}

func TestLang(t *testing.T) {
	tests := []struct {
		name, tag, want string
	}{
		{"French is supported", "fr", "fr"},
		{"English is supported", "en", "en"},
		{"a regional tag gives its language", "en-GB", "en"},
		{"case and spaces do not matter", " FR-be ", "fr"},
		{"an unsupported language gives nothing", "de", ""},
		{"a word that starts like a language gives nothing", "english", ""},
		{"an underscore is not a tag separator", "fr_FR", ""},
		{"an empty tag gives nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := templates.Lang(tt.tag); got != tt.want {
				t.Errorf("Lang(%q) = %q, want %q", tt.tag, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	s := loadSet(t)
	tests := []struct {
		name, header, want string
	}{
		{"no header gives French", "", "fr"},
		{"English alone gives English", "en", "en"},
		{"a typical English browser gives English", "en-US,en;q=0.9", "en"},
		{"a Canadian French browser gives French", "fr-CA,fr;q=0.9,en;q=0.8", "fr"},
		{"the higher weight wins", "en-GB;q=0.8, fr;q=0.9", "fr"},
		{"a German browser that reads English gets English", "de-DE,de;q=0.9,en;q=0.5", "en"},
		{"an unsupported language alone gives French", "de", "fr"},
		{"a language refused with q=0 is not chosen", "fr;q=0, en", "en"},
		{"a malformed header gives French", "garbage;;;", "fr"},
		{"a wildcard gives French", "*", "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Match(tt.header); got != tt.want {
				t.Errorf("Match(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

// choices mirrors what server offers the step templates.
var choices = map[string][]string{
	"legal_form":   onboarding.LegalForms,
	"sector":       onboarding.Sectors,
	"tools":        onboarding.Tools,
	"services":     onboarding.Services,
	"when":         onboarding.Timings,
	"contribution": onboarding.Contributions,
	"fee_range":    onboarding.FeeRanges,
	"yesno":        onboarding.YesNo,
}

var renderHosts = []onboarding.Host{
	{ID: "h1", Slug: "ile-numerique", Name: "L'Île numérique", Region: "Auvergne-Rhône-Alpes", TermsURL: "https://ile.example/cgu"},
	{ID: "h2", Slug: "recif-solidaire", Name: "Récif solidaire"},
}

// renderApp is a request with every answer given, each choice list used.
func renderApp(status onboarding.Status) *onboarding.Application {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	return &onboarding.Application{
		ID: "a1", Status: status, Step: onboarding.StepReview, Language: "fr", Version: 3,
		CreatedAt: now, UpdatedAt: now, SubmittedAt: now,
		Answers: onboarding.Answers{
			Association: onboarding.AssociationStep{Name: "Les Amis du Vélo", LegalForm: "loi1901", LegalID: "W691234567",
				Postcode: "69001", Town: "Lyon", Website: "https://amis-velo.example.org", Purpose: "Promouvoir le vélo",
				Sector: "sport", ContactEmail: "anne@example.org", Departement: "69"},
			Members: onboarding.MembersStep{Members: "40", Volunteers: "12", Employees: "0", ContactName: "Anne Martin",
				ContactRole: "présidente", ContactPhone: "06 12 34 56 78", Accessibility: "Grands caractères"},
			Tools: onboarding.ToolsStep{Tools: onboarding.Tools, ToolOther: "Framadate", Problems: "Éparpillés", DataGB: "5"},
			Needs: onboarding.NeedsStep{Services: onboarding.Services, Accounts: "10", StorageGB: "20", When: "asap",
				Training: "yes", TrainingTopics: "Agenda"},
			Host:    onboarding.HostStep{Choice: "ile-numerique", Contribution: "membership", FeeRange: "50_150"},
			Consent: onboarding.ConsentStep{DataProcessing: "yes", HostTerms: "yes", FollowUp: "no"},
		},
	}
}

// formFields lists the form fields of a step's answers, from their tags.
func formFields(form any) []string {
	var out []string
	rt := reflect.TypeOf(form).Elem()
	for i := 0; i < rt.NumField(); i++ {
		if tag := rt.Field(i).Tag.Get("form"); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// allErrors puts an error on every field, each with a message of its own.
func allErrors(fields []string) onboarding.FieldErrors {
	var fe onboarding.FieldErrors
	for _, f := range fields {
		fe = append(fe, onboarding.FieldError{Field: f, Key: "err.choice"})
	}
	return fe
}

// renderCase is one page with its data.
type renderCase struct {
	name string
	page string
	p    server.Page
}

func renderCases() []renderCase {
	app := renderApp(onboarding.StatusDraft)
	stepCase := func(step onboarding.Step, form any, withErrors bool, ret string) renderCase {
		p := server.Page{Path: "/demande/" + step.Slug(), Title: "step." + step.Slug() + ".title",
			Data: &server.StepPage{Step: step, StepCount: onboarding.StepCount, Slug: step.Slug(), Form: form,
				App: app, Hosts: renderHosts, Return: ret, Choices: choices}}
		name := "the step " + step.Slug()
		if withErrors {
			p.Errors = allErrors(formFields(form))
			p.FormError = "err.request.changed"
			name += " with an error on every field"
		}
		if ret != "" {
			name += " opened from the review"
		}
		return renderCase{name, "step_" + step.Slug(), p}
	}
	a := &app.Answers
	cases := []renderCase{
		{"the home page", "home", server.Page{Path: "/", Title: "home.title"}},
		{"the privacy page", "privacy", server.Page{Path: "/confidentialite", Title: "privacy.title", Data: &server.PrivacyPage{Retention: rights.Retention}}},
		{"the charter", "charter", server.Page{Path: "/charte", Title: "charter.title", Data: &server.CharterPage{Parts: []string{"charter.p1", "charter.p2"}, Version: "2026-12"}}},
		{"a host's terms", "host_terms", server.Page{Path: "/conditions/recif", Title: "terms.page_title", Data: &server.HostTermsPage{Host: "Les Jardins <b>", Version: 2,
			Date: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC), Paragraphs: []string{"Premier paragraphe.", "Second <script>."}}}},
		{"the error page", "error", server.Page{Path: "/x", Title: "error.title", FormError: "error.not_found"}},
		{"the link resent page", "link_resent", server.Page{Path: "/lien/renvoyer", Title: "link_resent.title"}},
		{"the start page for a new visitor", "start", server.Page{Path: "/demande", Title: "start.title"}},
		{"the start page with a draft", "start", server.Page{Path: "/demande", Title: "start.title", Data: app}},
		{"the start page with a sent request", "start", server.Page{Path: "/demande", Title: "start.title", Data: renderApp(onboarding.StatusSubmitted)}},
		{"the status page without a link", "status_nolink", server.Page{Path: "/suivi", Title: "status.title"}},
		{"the withdraw page", "withdraw", server.Page{Path: "/suivi/retirer", Title: "withdraw.title", Data: renderApp(onboarding.StatusSubmitted)}},
		stepCase(onboarding.StepAssociation, &a.Association, false, ""),
		stepCase(onboarding.StepAssociation, &onboarding.AssociationStep{}, false, ""),
		stepCase(onboarding.StepAssociation, &a.Association, true, "recapitulatif"),
		stepCase(onboarding.StepMembers, &a.Members, false, ""),
		stepCase(onboarding.StepMembers, &a.Members, true, ""),
		stepCase(onboarding.StepTools, &a.Tools, false, ""),
		stepCase(onboarding.StepTools, &a.Tools, true, ""),
		stepCase(onboarding.StepNeeds, &a.Needs, false, ""),
		stepCase(onboarding.StepNeeds, &a.Needs, true, "recapitulatif"),
		stepCase(onboarding.StepHost, &a.Host, false, ""),
		stepCase(onboarding.StepHost, &onboarding.HostStep{Choice: "auto"}, true, ""),
		stepCase(onboarding.StepReview, &a.Consent, false, ""),
		stepCase(onboarding.StepReview, &a.Consent, true, ""),
	}
	dup := stepCase(onboarding.StepAssociation, &a.Association, false, "")
	dup.name = "the first step offering to resend a duplicate's link"
	dup.p.Data.(*server.StepPage).Duplicate = &server.DuplicateOffer{LegalID: "W691234567", Email: "anne@example.org"}
	dup.p.FormError = "err.duplicate"
	cases = append(cases, dup)

	verified := renderApp(onboarding.StatusDraft)
	verified.EmailVerifiedAt = verified.CreatedAt
	review := stepCase(onboarding.StepReview, &verified.Answers.Consent, false, "")
	review.name = "the review of a verified request"
	review.p.Data.(*server.StepPage).App = verified
	cases = append(cases, review)

	ev := func(kind string) onboarding.Event {
		return onboarding.Event{Kind: kind, Public: true, CreatedAt: verified.CreatedAt}
	}
	for _, st := range []onboarding.Status{onboarding.StatusSubmitted, onboarding.StatusInfoRequested, onboarding.StatusInterviewPlanned,
		onboarding.StatusApproved, onboarding.StatusProvisioning, onboarding.StatusReady, onboarding.StatusDeclined, onboarding.StatusWithdrawn} {
		sp := &server.StatusPage{App: renderApp(st), Ended: st == onboarding.StatusDeclined || st == onboarding.StatusWithdrawn,
			Events: []onboarding.Event{ev("created"), ev("email_verified"), ev("submitted"), ev(string(st))}}
		for i, m := range onboarding.Milestones {
			state := []string{"done", "current", "todo", "todo", "todo"}[i]
			sp.Milestones = append(sp.Milestones, server.Milestone{Status: m, State: state, At: ev(string(m))})
		}
		cases = append(cases, renderCase{"the status page of a request " + string(st), "status",
			server.Page{Path: "/suivi", Title: "status.title", Flash: "notice.submitted", Data: sp}})
	}
	cases = append(cases, renderCase{"the export of a request's data", "export", server.Page{Path: "/suivi/donnees", Title: "rights.export.title", Data: renderExport()}})
	asked := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	pending := &rights.ErasureRequest{ID: "e1", ApplicationID: "r1", RequestedBy: "association", RequestedAt: asked, Status: rights.StatusOpen, Nextcloud: rights.NextcloudDisable}
	erasure := func(st *rights.ErasureState) *server.ErasurePage {
		return &server.ErasurePage{State: st, Name: "Les Amis du Vélo", AppID: "r1", Choices: []string{"keep", "disable"}, Choice: "keep", Now: asked.AddDate(0, 2, 0)}
	}
	register := &server.RegisterPage{Now: asked.AddDate(0, 2, 0), Overdue: 1, Entries: []rights.RegisterEntry{
		{ID: "1", Kind: rights.KindErasure, ApplicationID: "r1", RequestExists: true, HostName: "Récif", RequestedBy: "association", RequestedAt: asked, Status: rights.StatusOpen, Nextcloud: "disable"},
		{ID: "2", Kind: rights.KindExport, ApplicationID: "r2", HostName: "Récif", RequestedBy: "Camille", RequestedAt: asked, Status: rights.StatusDone, AnsweredAt: asked, AnsweredBy: "Camille"},
		{ID: "3", Kind: rights.KindStaffErasure, RequestedBy: "Alex", RequestedAt: asked, Status: rights.StatusRefused, AnsweredAt: asked, AnsweredBy: "association"},
	}}
	cases = append(cases,
		renderCase{"the register of data-rights requests", "rights_register", server.Page{Path: "/staff/rights", Title: "rights.register.title", Data: register}},
		renderCase{"an empty register", "rights_register", server.Page{Path: "/staff/rights", Title: "rights.register.title", Data: &server.RegisterPage{}}},
		renderCase{"the deletion of a staff account", "admin_user_delete", server.Page{Path: "/staff/admin/users/u1/delete", Title: "rights.staff_delete.title",
			FormError: "rights.err.last_admin", User: renderAdmin, Data: &server.StaffDeletePage{Account: renderStaff}}},
		renderCase{"a dashboard with data-rights requests waiting", "staff_home", server.Page{Path: "/staff", Title: "staff.home.title", User: renderStaff,
			Data: server.StoppedCreations{RightsOpen: 2, RightsOverdue: 1}}})
	for _, st := range []struct {
		name  string
		state *rights.ErasureState
	}{
		{"a draft", &rights.ErasureState{Status: "draft"}},
		{"a request with a workspace", &rights.ErasureState{Status: "ready", Workspace: true}},
		{"a request whose erasure is pending", &rights.ErasureState{Status: "ready", Workspace: true, WorkspaceDisabled: true, Pending: pending}},
	} {
		cases = append(cases,
			renderCase{"the erasure request page for " + st.name, "erasure_ask", server.Page{Path: "/suivi/effacer", Title: "rights.erasure.title", Data: erasure(st.state)}},
			renderCase{"the erasure confirmation for " + st.name, "erasure_confirm", server.Page{Path: "/staff/requests/r1/effacer", Title: "rights.erasure.confirm_title",
				FormError: "rights.err.provisioning", Data: erasure(st.state)}})
	}
	cases = append(cases, rightsRenderCases()...)
	return append(cases, staffRenderCases()...)
}

// renderExport is an export with every section filled.
func renderExport() *server.ExportPage {
	at := time.Date(2026, 11, 21, 10, 15, 0, 0, time.UTC)
	e := &rights.Export{Format: rights.ExportFormat, Version: rights.ExportVersion, GeneratedAt: at,
		Host:          &rights.ExportHost{Name: "Récif", Website: "https://recif.example", ContactEmail: "contact@recif.example"},
		Request:       rights.ExportRequest{ID: "r1", Status: "ready", Language: "fr", AssociationName: "Les Amis du Vélo", ContactEmail: "anne@example.org", CreatedAt: at, SubmittedAt: &at},
		Timeline:      []rights.ExportEvent{{Kind: "submitted", At: at}, {Kind: "reschedule_requested", At: at, Detail: "Plutôt mardi"}},
		Emails:        []rights.ExportEmail{{Subject: "Votre lien", To: "anne@example.org", SentAt: &at}, {Subject: "En attente", To: "anne@example.org"}},
		Interviews:    []rights.ExportInterview{{ScheduledAt: at, DurationMinutes: 45, Mode: "video", Link: "https://visio.example/x"}},
		Workspace:     &rights.ExportWorkspace{LoginURL: "https://cloud.example", AccountID: "amisvelo", GroupID: "amisvelo", Folder: "/Amis du Vélo", CreatedAt: at},
		Case:          &rights.ExportCase{Stage: "closed", Goals: "Partager les plannings", OpenedAt: at, ClosedAt: &at},
		Sessions:      []rights.ExportSession{{StartsAt: at, DurationMinutes: 90, Format: "visio", Topics: []string{"files"}, Attendees: 3, NextSteps: "Agenda"}},
		CheckIns:      []rights.ExportCheckIn{{OffsetDays: 7, DueAt: at, Status: "answered", AnsweredAt: &at, Rating: 4, Works: "Tout", Blocks: "Rien"}},
		UsageReadings: []rights.ExportUsage{{TakenAt: at, OK: true, Accounts: 3, UsedBytes: 1024}},
		Showcase: &rights.ExportShowcase{AssociationName: "Les Amis du Vélo", Town: "Lyon", Story: "Histoire", Quote: "Citation", Status: "published",
			Logo: &rights.ExportLogo{MediaType: "image/png", Data: []byte("x")}},
		Consents: []rights.ExportConsent{{EntryVersion: 1, Decision: "given", At: at}, {EntryVersion: 1, Decision: "withdrawn", At: at}},
	}
	e.Request.Answers = []byte(`{"association":{"name":"Les Amis du Vélo"},"members":{"contact_name":"Anne"},"tools":{"tools":["mail","other"]}}`)
	p := &server.ExportPage{Export: e, JSONURL: "/suivi/donnees.json", Back: "/suivi"}
	for _, ev := range e.Timeline {
		p.Timeline = append(p.Timeline, server.ExportEventLine{ExportEvent: ev, Key: "event." + ev.Kind})
	}
	p.Answers = server.AnswerSectionsOf(e.Request.Answers)
	return p
}

func TestEveryPageRendersInBothLanguages(t *testing.T) {
	s := loadSet(t)
	covered := map[string]bool{}
	for _, tc := range renderCases() {
		covered[tc.page] = true
		for _, lang := range templates.Languages {
			t.Run(tc.name+" in "+lang, func(t *testing.T) {
				p := tc.p
				p.Lang = lang
				var buf bytes.Buffer
				if err := s.Render(&buf, lang, tc.page, p); err != nil {
					t.Fatalf("render: %v", err)
				}
				doc, err := goquery.NewDocumentFromReader(&buf)
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := doc.Find("html").Attr("lang"); got != lang {
					t.Errorf("<html lang=%q>", got)
				}
				if doc.Find("h1").Length() != 1 {
					t.Errorf("%d h1 elements", doc.Find("h1").Length())
				}
				title := doc.Find("title").Text()
				prefix := s.MustT(lang, "errors.title_prefix")
				if hasErrors := len(p.Errors) > 0 || p.FormError != ""; hasErrors != strings.HasPrefix(title, prefix) {
					t.Errorf("title %q, errors %t", title, hasErrors)
				}
				for _, fe := range p.Errors {
					if doc.Find("#f-"+fe.Field).Length() != 1 {
						t.Errorf("no element #f-%s for the error summary to link to", fe.Field)
					}
					if doc.Find("#f-"+fe.Field+"-error").Length() != 1 {
						t.Errorf("no inline error for %s", fe.Field)
					}
				}
				if ids := duplicateIDs(doc); len(ids) > 0 {
					t.Errorf("duplicate ids %q", ids)
				}
			})
		}
	}
	entries, err := os.ReadDir("html")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if !e.IsDir() && name != "layout" && !covered[name] {
			t.Errorf("page %s is not rendered by this test", name)
		}
	}
}

func duplicateIDs(doc *goquery.Document) []string {
	seen := map[string]bool{}
	var dups []string
	doc.Find("[id]").Each(func(_ int, sel *goquery.Selection) {
		id, _ := sel.Attr("id")
		if seen[id] {
			dups = append(dups, id)
		}
		seen[id] = true
	})
	return dups
}

func TestRenderRefusesAnUnknownPage(t *testing.T) {
	s := loadSet(t)
	var buf bytes.Buffer
	if err := s.Render(&buf, "fr", "no_such_page", server.Page{Lang: "fr", Title: "home.title"}); err == nil {
		t.Error("rendered a page that does not exist")
	}
	if s.HasPage("no_such_page") || !s.HasPage("home") {
		t.Error("HasPage is wrong")
	}
}

func TestRenderFailsWholeOnAMissingMessage(t *testing.T) {
	s := loadSet(t)
	var buf bytes.Buffer
	err := s.Render(&buf, "en", "home", server.Page{Lang: "en", Title: "no.such.title"})
	if err == nil || !strings.Contains(err.Error(), "no.such.title") {
		t.Errorf("Render = %v, want an error naming the missing ID", err)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written before the error", buf.Len())
	}
}

func TestMailsRenderInBothLanguages(t *testing.T) {
	s := loadSet(t)
	data := map[string]any{"Name": "Les Amis du Vélo", "Link": "https://archipel.example/reprendre/abc"}
	for _, name := range []string{"link", "submitted", "withdrawn"} {
		for _, lang := range templates.Languages {
			t.Run("the "+name+" mail in "+lang, func(t *testing.T) {
				subject, text, html, err := s.Mail(lang, name, data)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(subject, "Les Amis du Vélo") || strings.Contains(subject, "\n") {
					t.Errorf("subject %q", subject)
				}
				if !strings.Contains(text, s.MustT(lang, "mail.hello")) || !strings.Contains(html, `lang="`+lang+`"`) {
					t.Errorf("text or HTML not in %s:\n%s\n%s", lang, text, html)
				}
				if name == "link" && (!strings.Contains(text, data["Link"].(string)) || !strings.Contains(html, data["Link"].(string))) {
					t.Error("the link is missing")
				}
			})
		}
	}
}

// keyRe finds message IDs written literally in Go code.
var keyRe = regexp.MustCompile(`"((?:err|error|notice|status|step|start|withdraw|link_resent|home|privacy|match)\.[a-z_]+(?:\.[a-z_]+)*)"`)

func TestMessagesUsedByGoCodeExist(t *testing.T) {
	fr := readMessages(t, "fr")
	seen := 0
	for _, dir := range []string{"..", "../server", "../onboarding", "../apperr", "../database"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range keyRe.FindAllStringSubmatch(string(src), -1) {
				seen++
				if _, ok := fr[m[1]]; !ok {
					t.Errorf("%s uses %q, which no message file defines", f, m[1])
				}
			}
		}
	}
	if seen < 20 {
		t.Errorf("found only %d message IDs in the Go code: is the pattern still right?", seen)
	}
}

func TestMessagesBuiltFromDomainValuesExist(t *testing.T) {
	fr := readMessages(t, "fr")
	want := func(id string) {
		t.Helper()
		if _, ok := fr[id]; !ok {
			t.Errorf("no message %s", id)
		}
	}
	t.Run("every choice has a label", func(t *testing.T) {
		for list, values := range choices {
			for _, v := range values {
				want("opt." + list + "." + v)
			}
		}
	})
	t.Run("every status and milestone state has a label", func(t *testing.T) {
		for _, st := range []onboarding.Status{onboarding.StatusDraft, onboarding.StatusSubmitted, onboarding.StatusInfoRequested,
			onboarding.StatusInterviewPlanned, onboarding.StatusApproved, onboarding.StatusProvisioning, onboarding.StatusReady,
			onboarding.StatusDeclined, onboarding.StatusWithdrawn} {
			want("status." + string(st))
			if st != onboarding.StatusDraft {
				want("event." + string(st))
			}
		}
		for _, kind := range []string{"created", "email_verified", "link_sent"} {
			want("event." + kind)
		}
		for _, state := range []string{"done", "current", "todo"} {
			want("milestone." + state)
		}
		want("status.body.declined")
		want("status.body.withdrawn")
	})
	t.Run("every form field has a label", func(t *testing.T) {
		a := renderApp(onboarding.StatusDraft).Answers
		for _, form := range []any{&a.Association, &a.Members, &a.Tools, &a.Needs, &a.Host, &a.Consent} {
			for _, f := range formFields(form) {
				want("label." + f)
			}
		}
	})
	t.Run("every error the validators give has a message", func(t *testing.T) {
		var fe onboarding.FieldErrors
		bad := onboarding.Answers{
			Association: onboarding.AssociationStep{Name: strings.Repeat("x", 300), LegalForm: "x", LegalID: "x", Postcode: "x",
				Website: "x", Sector: "x", ContactEmail: "x"},
			Members: onboarding.MembersStep{Members: "0", Volunteers: "-1", Employees: "x", ContactPhone: "x"},
			Tools:   onboarding.ToolsStep{Tools: []string{"x", "other"}, DataGB: "-1"},
			Needs:   onboarding.NeedsStep{Services: []string{"x"}, Accounts: "0", StorageGB: "0", When: "x", Training: "x"},
			Host:    onboarding.HostStep{Choice: "x", Contribution: "membership"},
		}
		var empty onboarding.Answers
		for _, a := range []*onboarding.Answers{&bad, &empty} {
			fe = append(fe, a.Association.Validate()...)
			fe = append(fe, a.Members.Validate()...)
			fe = append(fe, a.Tools.Validate()...)
			fe = append(fe, a.Needs.Validate()...)
			fe = append(fe, a.Host.Validate(nil)...)
			fe = append(fe, a.Consent.Validate()...)
		}
		for _, e := range fe {
			want(e.Key)
		}
	})
}
