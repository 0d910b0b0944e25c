package server_test

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"archipel/onboarding"
	"archipel/server"
)

// flowLangs are the languages every scenario of the guided flow runs in.
var flowLangs = []string{"fr", "en"}

// flowSlugs are the steps after the first, in order.
var flowSlugs = []string{"membres", "outils", "besoins", "hebergeur", "recapitulatif"}

// flowT translates a message as the pages do; a missing ID fails the test.
func flowT(t *testing.T, lang, id string, args ...any) string {
	t.Helper()
	msg, err := loadTemplates(t).T(lang, id, args...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// flowNorm collapses white space, as a reader of the page sees it.
func flowNorm(s string) string { return strings.Join(strings.Fields(s), " ") }

// flowExpect fails unless the response has that status and, when location
// is not empty, redirects there.
func flowExpect(t *testing.T, res *response, status int, location string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d (location %q)\n%s", res.Status, status, res.Location, flowNorm(res.Doc.Find("main").Text()))
	}
	if location != "" && res.Location != location {
		t.Fatalf("redirected to %q, want %q", res.Location, location)
	}
}

// flowHasText fails unless the text of what sel selects contains want.
func flowHasText(t *testing.T, res *response, sel, want string) {
	t.Helper()
	got := flowNorm(res.Doc.Find(sel).Text())
	if !strings.Contains(got, flowNorm(want)) {
		t.Errorf("%s: %q does not contain %q", sel, got, want)
	}
}

// flowLacks fails if sel selects anything.
func flowLacks(t *testing.T, res *response, sel string) {
	t.Helper()
	if n := res.Doc.Find(sel).Length(); n > 0 {
		t.Errorf("%d elements match %s", n, sel)
	}
}

// flowCheckLang fails unless the page is in lang and offers the other one.
func flowCheckLang(t *testing.T, res *response, lang string) {
	t.Helper()
	if got := res.Doc.Find("html").AttrOr("lang", ""); got != lang {
		t.Errorf("<html lang=%q>, want %q", got, lang)
	}
	other := map[string]string{"fr": "en", "en": "fr"}[lang]
	sw := res.Doc.Find(`header a[hreflang="` + other + `"]`)
	if sw.Length() != 1 || !strings.HasSuffix(sw.AttrOr("href", ""), "?lang="+other) || sw.AttrOr("lang", "") != other {
		t.Errorf("no switch to %s in the header", other)
	} else if got, want := flowNorm(sw.Text()), flowT(t, lang, "layout.other_lang"); got != want {
		t.Errorf("language switch reads %q, want %q", got, want)
	}
}

// flowCookie returns the cookie the response sets under name, or nil.
func flowCookie(res *response, name string) *http.Cookie {
	for _, line := range res.Header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == name {
			return c
		}
	}
	return nil
}

// flowFor is the same browser reporting to t, for use inside a subtest.
func (b *browser) flowFor(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

// flowFor is the same service reporting to t, for use inside a subtest.
func (a *testApp) flowFor(t *testing.T) *testApp {
	c := *a
	c.t = t
	return &c
}

// flowPostWith posts a form with extra request headers.
func (b *browser) flowPostWith(path string, body io.Reader, header http.Header) *response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.app.Server.URL+path, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

// flowAnswers are validAnswers for another association: its own address
// and legal id ("" for none).
func flowAnswers(email, legalID string) map[string]url.Values {
	answers := validAnswers(email)
	answers["association"].Set("legal_id", legalID)
	return answers
}

// flowWith returns a copy of form with some values replaced.
func flowWith(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// flowStart posts the first step and checks the request was created.
func flowStart(t *testing.T, b *browser, answers map[string]url.Values) {
	t.Helper()
	res := b.post("/demande/association", answers["association"])
	flowExpect(t, res, http.StatusSeeOther, "/demande/membres?notice=link_sent")
}

// flowFill posts the steps from "membres" to "hebergeur", each accepted.
func flowFill(t *testing.T, b *browser, answers map[string]url.Values) {
	t.Helper()
	for i, slug := range flowSlugs[:4] {
		res := b.post("/demande/"+slug, answers[slug])
		flowExpect(t, res, http.StatusSeeOther, "/demande/"+flowSlugs[i+1])
	}
}

// flowAtReview returns a browser whose request waits on the review page,
// its address not confirmed yet.
func flowAtReview(t *testing.T, app *testApp, lang string, answers map[string]url.Values) *browser {
	t.Helper()
	b := app.browser(lang)
	flowStart(t, b, answers)
	flowFill(t, b, answers)
	return b
}

// flowSubmitted returns a browser whose request is sent, its address
// confirmed through the e-mailed link.
func flowSubmitted(t *testing.T, app *testApp, lang string, answers map[string]url.Values) *browser {
	t.Helper()
	b := flowAtReview(t, app, lang, answers)
	res := b.get(app.lastLink(answers["association"].Get("contact_email")))
	flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif?notice=verified")
	res = b.post("/demande/recapitulatif", answers["recapitulatif"])
	flowExpect(t, res, http.StatusSeeOther, "/suivi?notice=submitted")
	return b
}

// flowMailCount is the number of messages in the outbox.
func flowMailCount(t *testing.T, app *testApp) int {
	t.Helper()
	paths, err := app.Outbox.List()
	if err != nil {
		t.Fatal(err)
	}
	return len(paths)
}

// flowLinks returns the private links e-mailed to addr, oldest first.
func flowLinks(app *testApp, addr string) []string {
	var out []string
	for _, m := range app.mails(addr) {
		// Every e-mail to the association carries a private link; these
		// are the e-mails that are only that.
		if link := linkRe.FindString(m.Text); link != "" && m.Tag == "link" {
			out = append(out, link)
		}
	}
	return out
}

// flowCheckValues fails unless every value of form is shown back in the
// page: in its input, textarea, selected option or checked boxes.
func flowCheckValues(t *testing.T, doc *goquery.Document, form url.Values, skip ...string) {
	t.Helper()
	for name, vals := range form {
		if slices.Contains(skip, name) {
			continue
		}
		els := doc.Find(`form [name="` + name + `"]`)
		if els.Length() == 0 {
			t.Errorf("no field %s in the page", name)
			continue
		}
		switch {
		case els.Is("select"):
			if got := els.Find("option[selected]").AttrOr("value", ""); got != vals[0] {
				t.Errorf("%s: option %q selected, typed %q", name, got, vals[0])
			}
		case els.Is("textarea"):
			if got := els.Text(); got != vals[0] {
				t.Errorf("%s: textarea holds %q, typed %q", name, got, vals[0])
			}
		case els.Is(`input[type="radio"], input[type="checkbox"]`):
			var checked, want []string
			els.Filter("[checked]").Each(func(_ int, s *goquery.Selection) { checked = append(checked, s.AttrOr("value", "")) })
			for _, v := range vals {
				if v != "" {
					want = append(want, v)
				}
			}
			slices.Sort(checked)
			slices.Sort(want)
			if !slices.Equal(checked, want) {
				t.Errorf("%s: %q checked, typed %q", name, checked, want)
			}
		default:
			if got := els.AttrOr("value", ""); got != vals[0] {
				t.Errorf("%s: input holds %q, typed %q", name, got, vals[0])
			}
		}
	}
}

// flowFieldError is an error the page must show next to a field.
type flowFieldError struct{ field, key string }

// flowCheckErrors fails unless the page is a refused form: title prefixed,
// a summary linking to each faulty field in order, and each field marked
// invalid and described by its inline message.
func flowCheckErrors(t *testing.T, res *response, lang string, errs []flowFieldError) {
	t.Helper()
	if title, prefix := flowNorm(res.Doc.Find("title").Text()), flowT(t, lang, "errors.title_prefix"); !strings.HasPrefix(title, prefix+" ") {
		t.Errorf("title %q is not prefixed with %q", title, prefix)
	}
	summary := res.Doc.Find(".error-summary")
	if summary.Length() != 1 || summary.AttrOr("role", "") != "alert" {
		t.Fatalf("%d error summaries (with role=alert wanted)", summary.Length())
	}
	flowHasText(t, res, ".error-summary h2", flowT(t, lang, "errors.title"))
	var hrefs, want []string
	summary.Find("a").Each(func(_ int, a *goquery.Selection) { hrefs = append(hrefs, a.AttrOr("href", "")) })
	for _, e := range errs {
		want = append(want, "#f-"+e.field)
	}
	if !slices.Equal(hrefs, want) {
		t.Errorf("the summary links to %q, want %q", hrefs, want)
	}
	for i, e := range errs {
		msg := flowT(t, lang, e.key)
		if i < summary.Find("a").Length() {
			link := flowNorm(summary.Find("a").Eq(i).Text())
			if !strings.Contains(link, flowT(t, lang, "label."+e.field)) || !strings.Contains(link, msg) {
				t.Errorf("summary link %q should name the field and say %q", link, msg)
			}
		}
		target := res.Doc.Find("#f-" + e.field)
		if target.Length() != 1 {
			t.Errorf("the summary links to #f-%s, which the page lacks", e.field)
			continue
		}
		if target.AttrOr("aria-invalid", "") != "true" {
			t.Errorf("#f-%s is not marked aria-invalid", e.field)
		}
		if !slices.Contains(strings.Fields(target.AttrOr("aria-describedby", "")), "f-"+e.field+"-error") {
			t.Errorf("#f-%s aria-describedby=%q does not point to its error", e.field, target.AttrOr("aria-describedby", ""))
		}
		inline := res.Doc.Find("#f-" + e.field + "-error")
		if inline.Length() != 1 || !strings.Contains(flowNorm(inline.Text()), msg) {
			t.Errorf("#f-%s-error reads %q, want %q", e.field, flowNorm(inline.Text()), msg)
		}
		if inline.Closest(".field").Length() == 0 || inline.Closest(".field").Find("#f-"+e.field).Length() == 0 {
			t.Errorf("the error of %s is not next to its field", e.field)
		}
	}
	if n := res.Doc.Find(`[aria-invalid="true"]`).Length(); n != len(errs) {
		t.Errorf("%d fields marked invalid, want %d", n, len(errs))
	}
}

func TestFlowCompleteRequest(t *testing.T) {
	stepOf := map[string][]string{
		"fr": {"", "Étape 1 sur 6", "Étape 2 sur 6", "Étape 3 sur 6", "Étape 4 sur 6", "Étape 5 sur 6", "Étape 6 sur 6"},
		"en": {"", "Step 1 of 6", "Step 2 of 6", "Step 3 of 6", "Step 4 of 6", "Step 5 of 6", "Step 6 of 6"},
	}
	for _, lang := range flowLangs {
		t.Run("a request goes from the first step to the status page in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			email := "anne-" + lang + "@amis-velo.example"
			answers := validAnswers(email)
			b := app.browser(lang)

			res := b.get("/demande")
			flowExpect(t, res, http.StatusOK, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, "h1", flowT(t, lang, "start.title"))
			if res.Doc.Find(`main a[href="/demande/association"]`).Length() != 1 {
				t.Error("the start page has no link to the first step")
			}

			res = b.get("/demande/association")
			flowExpect(t, res, http.StatusOK, "")
			flowHasText(t, res, ".step-count", stepOf[lang][1])
			flowHasText(t, res, "h1", flowT(t, lang, "step.association.title"))
			flowLacks(t, res, ".back-link")

			res = b.post("/demande/association", answers["association"])
			flowExpect(t, res, http.StatusSeeOther, "/demande/membres?notice=link_sent")
			res = b.get(res.Location)
			flowExpect(t, res, http.StatusOK, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, ".step-count", stepOf[lang][2])
			flowHasText(t, res, "h1", flowT(t, lang, "step.membres.title"))
			flowHasText(t, res, ".notice", flowT(t, lang, "notice.link_sent"))
			flowHasText(t, res, "main", flowT(t, lang, "step.membres.contact_email", "Email", email))

			for i, slug := range flowSlugs[:4] {
				res = b.get("/demande/" + slug)
				flowExpect(t, res, http.StatusOK, "")
				flowHasText(t, res, ".step-count", stepOf[lang][i+2])
				flowHasText(t, res, "h1", flowT(t, lang, "step."+slug+".title"))
				if back := res.Doc.Find(".back-link").AttrOr("href", ""); back != "/demande/"+append([]string{"association"}, flowSlugs...)[i] {
					t.Errorf("%s: back link to %q", slug, back)
				}
				res = b.post("/demande/"+slug, answers[slug])
				flowExpect(t, res, http.StatusSeeOther, "/demande/"+flowSlugs[i+1])
			}

			res = b.get("/demande/recapitulatif")
			flowExpect(t, res, http.StatusOK, "")
			flowHasText(t, res, ".step-count", stepOf[lang][6])
			for _, want := range []string{"Les Amis du Vélo", "W691234567", "69001 (69)", "https://amis-velo.example.org", email,
				"Anne Martin", flowT(t, lang, "opt.tools.google_drive"), flowT(t, lang, "opt.services.calendars"),
				flowT(t, lang, "opt.legal_form.loi1901"), flowT(t, lang, "opt.host.auto"), flowT(t, lang, "opt.contribution.free")} {
				flowHasText(t, res, "dl.summary", want)
			}
			flowHasText(t, res, "#verify", flowT(t, lang, "review.unverified.body", "Email", email))

			mails := app.mails(email)
			if len(mails) != 1 {
				t.Fatalf("%d e-mails to %s, want the link only", len(mails), email)
			}
			if want := flowT(t, lang, "mail.link.subject", "Name", "Les Amis du Vélo"); mails[0].Subject != want {
				t.Errorf("link e-mail subject %q, want %q", mails[0].Subject, want)
			}
			if !strings.Contains(flowNorm(mails[0].Text), flowNorm(flowT(t, lang, "mail.link.body", "Name", "Les Amis du Vélo"))) {
				t.Errorf("link e-mail not in %s:\n%s", lang, mails[0].Text)
			}

			// The link is opened on another device: it confirms the address
			// and carries on where the request stands.
			other := app.browser(lang)
			res = other.get(app.lastLink(email))
			flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif?notice=verified")
			res = other.get(res.Location)
			flowExpect(t, res, http.StatusOK, "")
			flowHasText(t, res, ".notice", flowT(t, lang, "notice.verified"))
			flowLacks(t, res, "#verify")

			res = other.post("/demande/recapitulatif", answers["recapitulatif"])
			flowExpect(t, res, http.StatusSeeOther, "/suivi?notice=submitted")
			res = other.get(res.Location)
			flowExpect(t, res, http.StatusOK, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, "h1", flowT(t, lang, "status.title"))
			flowHasText(t, res, ".notice", flowT(t, lang, "notice.submitted"))
			current := res.Doc.Find(".timeline li.current")
			if current.Length() != 1 || current.AttrOr("aria-current", "") != "step" {
				t.Fatalf("%d current milestones", current.Length())
			}
			if got := flowNorm(current.Find(".milestone-label").Text()); got != flowT(t, lang, "status.submitted") {
				t.Errorf("current milestone %q", got)
			}
			if current.Find("time[datetime]").Length() != 1 {
				t.Error("the current milestone has no date")
			}
			if n := res.Doc.Find(".timeline li.todo").Length(); n != 4 {
				t.Errorf("%d milestones to come, want 4", n)
			}
			for _, kind := range []string{"created", "email_verified", "submitted"} {
				flowHasText(t, res, ".events", flowT(t, lang, "event."+kind))
			}
			if strings.Contains(res.Doc.Find(".events").Text(), flowT(t, lang, "event.link_sent")) {
				t.Error("the history shows staff-only events")
			}

			mails = app.mails(email)
			if len(mails) != 2 {
				t.Fatalf("%d e-mails to %s, want the link and the confirmation", len(mails), email)
			}
			if want := flowT(t, lang, "mail.submitted.subject", "Name", "Les Amis du Vélo"); mails[1].Subject != want {
				t.Errorf("confirmation subject %q, want %q", mails[1].Subject, want)
			}
			if !strings.Contains(mails[1].Text, app.Server.URL+"/reprendre/") {
				t.Errorf("the confirmation does not link to the status page:\n%s", mails[1].Text)
			}

			// The browser that filled the form follows the request too.
			res = b.get("/suivi")
			flowExpect(t, res, http.StatusOK, "")
			flowHasText(t, res, ".timeline li.current", flowT(t, lang, "status.submitted"))
		})
	}
}

func TestFlowErrorPagesKeepWhatWasTyped(t *testing.T) {
	cases := []struct {
		name string
		slug string
		form url.Values
		errs []flowFieldError
		skip []string // values the page cannot show back
	}{
		{"the association step", "association", url.Values{
			"name": {`Les "Amis" <script>alert(1)</script> du Vélo`}, "legal_form": {"collectif"}, "legal_id": {"W12"}, "postcode": {"1000"},
			"town": {"Villeurbanne"}, "website": {"ftp://amis-velo.example"}, "purpose": {""}, "sector": {"culture"},
			"contact_email": {"pas-une-adresse"}},
			[]flowFieldError{{"legal_id", "err.legal_id.invalid"}, {"postcode", "err.postcode.invalid"},
				{"website", "err.website.invalid"}, {"purpose", "err.purpose.required"}, {"contact_email", "err.contact_email.invalid"}}, nil},
		{"the members step", "membres", url.Values{
			"members": {"0"}, "volunteers": {"douze"}, "employees": {"3"}, "contact_name": {"Bob Durand"},
			"contact_role": {""}, "contact_phone": {"appelez-moi"}, "accessibility": {"Lecteur d'écran <NVDA>"}},
			[]flowFieldError{{"members", "err.members.range"}, {"volunteers", "err.number"},
				{"contact_role", "err.contact_role.required"}, {"contact_phone", "err.contact_phone.invalid"}}, nil},
		{"the tools step", "outils", url.Values{
			"tools": {"dropbox", "other"}, "tool_other": {""}, "problems": {"Tout est éparpillé & perdu"}, "data_gb": {"-3"}},
			[]flowFieldError{{"tool_other", "err.tool_other.required"}, {"data_gb", "err.data_gb.range"}}, nil},
		{"the needs step", "besoins", url.Values{
			"accounts": {"5000"}, "storage_gb": {"35"}, "when": {""}, "training": {"no"}, "training_topics": {"Agenda partagé"}},
			[]flowFieldError{{"services", "err.services.required"}, {"accounts", "err.accounts.range"}, {"when", "err.when.required"}}, nil},
		{"the host step", "hebergeur", url.Values{
			"host": {"lagon-complet"}, "contribution": {"membership"}, "fee_range": {""}},
			[]flowFieldError{{"host", "err.host.unavailable"}, {"fee_range", "err.fee_range.required"}},
			[]string{"host"}}, // a paused host is not offered
		{"the review", "recapitulatif", url.Values{"consent_terms": {"yes"}, "consent_contact": {"yes"}},
			[]flowFieldError{{"consent_data", "err.consent_data.required"}}, nil},
	}
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			answers := validAnswers("anne-" + lang + "@amis-velo.example")
			b := flowAtReview(t, app, lang, answers)
			for _, tc := range cases {
				t.Run(tc.name+" shows the errors and every value typed", func(t *testing.T) {
					b := b.flowFor(t)
					res := b.post("/demande/"+tc.slug, tc.form)
					flowExpect(t, res, http.StatusBadRequest, "")
					flowCheckLang(t, res, lang)
					flowHasText(t, res, "h1", flowT(t, lang, "step."+tc.slug+".title"))
					flowCheckErrors(t, res, lang, tc.errs)
					flowCheckValues(t, res.Doc, tc.form, tc.skip...)
					flowLacks(t, res, "script") // what was typed is shown, never run
				})
			}
			t.Run("nothing refused was saved", func(t *testing.T) {
				b := b.flowFor(t)
				res := b.get("/demande/membres")
				flowCheckValues(t, res.Doc, answers["membres"])
				res = b.get("/demande/association")
				flowCheckValues(t, res.Doc, answers["association"], "website")
			})
			t.Run("the first step refused before any request exists keeps its values", func(t *testing.T) {
				b := app.flowFor(t).browser(lang)
				form := cases[0].form
				res := b.post("/demande/association", form)
				flowExpect(t, res, http.StatusBadRequest, "")
				flowCheckErrors(t, res, lang, cases[0].errs)
				flowCheckValues(t, res.Doc, form)
				if flowCookie(res, "archipel_demande") != nil {
					t.Error("a refused first step created a request")
				}
			})
		})
	}
}

func TestFlowSubmissionNeedsAConfirmedAddress(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			email := "anne-" + lang + "@amis-velo.example"
			answers := validAnswers(email)
			b := flowAtReview(t, app, lang, answers)

			res := b.post("/demande/recapitulatif", answers["recapitulatif"])
			flowExpect(t, res, http.StatusForbidden, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, ".error-summary", flowT(t, lang, "err.request.unverified"))
			if title := flowNorm(res.Doc.Find("title").Text()); !strings.HasPrefix(title, flowT(t, lang, "errors.title_prefix")) {
				t.Errorf("title %q", title)
			}
			flowCheckValues(t, res.Doc, answers["recapitulatif"])
			flowHasText(t, res, "#verify", flowT(t, lang, "review.unverified.title"))

			res = b.get("/suivi")
			flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif")

			// The review page offers to send the link again.
			res = b.get("/demande/recapitulatif")
			resend := res.Doc.Find(`#verify form[method="post"]`)
			if resend.AttrOr("action", "") != "/lien/renvoyer" {
				t.Fatalf("no resend form on the review page")
			}
			res = b.post("/lien/renvoyer", url.Values{})
			flowExpect(t, res, http.StatusOK, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, "h1", flowT(t, lang, "link_resent.title"))
			links := flowLinks(app, email)
			if len(links) != 2 || links[0] == links[1] {
				t.Fatalf("links e-mailed: %q, want two different ones", links)
			}
			if m := app.mails(email)[1]; m.Subject != flowT(t, lang, "mail.link.subject", "Name", "Les Amis du Vélo") {
				t.Errorf("resent link e-mail subject %q", m.Subject)
			}

			res = b.get(links[1])
			flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif?notice=verified")
			res = b.post("/demande/recapitulatif", answers["recapitulatif"])
			flowExpect(t, res, http.StatusSeeOther, "/suivi?notice=submitted")
		})
	}
}

func TestFlowDuplicates(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			first := "anne-" + lang + "@amis-velo.example"
			flowStart(t, app.browser(lang), validAnswers(first))

			cases := []struct {
				name  string
				form  url.Values
				shown []string // values shown normalized rather than as typed
			}{
				{"the same RNA with another address is a duplicate",
					flowWith(validAnswers(first)["association"], "contact_email", "bob-"+lang+"@autre.example"), nil},
				{"the same RNA typed with spaces is a duplicate",
					flowWith(validAnswers(first)["association"], "legal_id", "w691 234 567", "contact_email", "bob-"+lang+"@autre.example"),
					[]string{"legal_id", "website"}},
				{"the same address without an RNA is a duplicate",
					flowWith(validAnswers(first)["association"], "legal_id", ""), nil},
				{"the same address in capitals is a duplicate",
					flowWith(validAnswers(first)["association"], "legal_id", "", "contact_email", strings.ToUpper(first)),
					[]string{"contact_email", "website"}},
			}
			for _, tc := range cases {
				t.Run(tc.name+", told only once the address is confirmed, and the link goes to the first address only", func(t *testing.T) {
					app := app.flowFor(t)
					before := flowLinks(app, first)
					// The first step answers as for any new association:
					// nothing tells that a request exists.
					fresh := app.browser(lang)
					unknown := flowWith(validAnswers("zoe-" + lang + "@ailleurs.example")["association"], "legal_id", "")
					want := fresh.post("/demande/association", unknown)
					b := app.browser(lang)
					res := b.post("/demande/association", tc.form)
					flowExpect(t, res, want.Status, want.Location)
					if flowCookie(res, "archipel_demande") == nil {
						t.Fatal("the first step of a duplicate answered otherwise than for a new association")
					}
					answers := validAnswers(tc.form.Get("contact_email"))
					flowFill(t, b, answers)
					typed, _ := onboarding.NormalizeEmail(tc.form.Get("contact_email"))
					res = b.get(app.lastLink(typed))
					flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif?notice=verified")
					res = b.post("/demande/recapitulatif", answers["recapitulatif"])
					flowExpect(t, res, http.StatusConflict, "")
					flowCheckLang(t, res, lang)
					flowHasText(t, res, ".error-summary", flowT(t, lang, "err.duplicate"))
					flowHasText(t, res, ".panel h2", flowT(t, lang, "duplicate.title"))
					offer := res.Doc.Find(`.panel form[action="/lien/renvoyer"]`)
					if offer.Length() != 1 {
						t.Fatal("no offer to resend the link")
					}
					resend := url.Values{}
					offer.Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
						resend.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
					})
					typedBefore := len(flowLinks(app, typed))
					mailsBefore := flowMailCount(t, app)
					res = b.post("/lien/renvoyer", resend)
					flowExpect(t, res, http.StatusOK, "")
					flowHasText(t, res, "h1", flowT(t, lang, "link_resent.title"))
					if n := flowMailCount(t, app) - mailsBefore; n != 1 {
						t.Fatalf("%d e-mails sent, want 1", n)
					}
					after := flowLinks(app, first)
					if !strings.EqualFold(typed, first) {
						if len(after) != len(before)+1 {
							t.Fatalf("%d links to the first address, want %d", len(after), len(before)+1)
						}
						if len(flowLinks(app, typed)) != typedBefore {
							t.Error("the link went to the address typed in the duplicate")
						}
					}
					res = app.browser(lang).get(after[len(after)-1])
					flowExpect(t, res, http.StatusSeeOther, "/demande/membres?notice=verified")
				})
			}

			t.Run("the answer to a resend is the same whether or not a request matched", func(t *testing.T) {
				app := app.flowFor(t)
				matched := app.browser(lang).post("/lien/renvoyer", url.Values{"legal_id": {"W691234567"}, "contact_email": {"x-" + lang + "@nulle-part.example"}})
				mailsBefore := flowMailCount(t, app)
				unmatched := app.browser(lang).post("/lien/renvoyer", url.Values{"legal_id": {"W751515517"}, "contact_email": {"personne-" + lang + "@nulle-part.example"}})
				empty := app.browser(lang).post("/lien/renvoyer", url.Values{})
				for _, res := range []*response{matched, unmatched, empty} {
					flowExpect(t, res, http.StatusOK, "")
				}
				if a, b := flowNorm(matched.Doc.Find("main").Text()), flowNorm(unmatched.Doc.Find("main").Text()); a != b {
					t.Errorf("a match reads %q, no match %q", a, b)
				}
				if a, b := flowNorm(matched.Doc.Find("main").Text()), flowNorm(empty.Doc.Find("main").Text()); a != b {
					t.Errorf("a match reads %q, an empty form %q", a, b)
				}
				if n := flowMailCount(t, app) - mailsBefore; n != 0 {
					t.Errorf("%d e-mails sent for requests that do not exist", n)
				}
			})
		})
	}
}

func TestFlowWithdrawal(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			email := "anne-" + lang + "@amis-velo.example"
			answers := validAnswers(email)
			b := flowSubmitted(t, app, lang, answers)

			res := b.get("/suivi")
			if res.Doc.Find(`main a[href="/suivi/retirer"]`).Length() != 1 {
				t.Fatal("the status page has no link to withdraw")
			}
			res = b.get("/suivi/retirer")
			flowExpect(t, res, http.StatusOK, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, "h1", flowT(t, lang, "withdraw.title"))
			flowHasText(t, res, "main", flowT(t, lang, "withdraw.confirm", "Name", "Les Amis du Vélo"))
			if res.Doc.Find(`form[method="post"][action="/suivi/retirer"] button[type="submit"]`).Length() != 1 {
				t.Fatal("the confirm page has no withdraw button")
			}
			if res.Doc.Find(`main a[href="/suivi"]`).Length() == 0 {
				t.Error("the confirm page offers no way back")
			}

			res = b.post("/suivi/retirer", url.Values{})
			flowExpect(t, res, http.StatusSeeOther, "/suivi?notice=withdrawn")
			res = b.get(res.Location)
			flowExpect(t, res, http.StatusOK, "")
			flowHasText(t, res, ".notice", flowT(t, lang, "notice.withdrawn"))
			flowHasText(t, res, "main", flowT(t, lang, "status.withdrawn"))
			flowHasText(t, res, ".panel", flowT(t, lang, "status.body.withdrawn"))
			flowHasText(t, res, ".events", flowT(t, lang, "event.withdrawn"))
			flowLacks(t, res, `a[href="/suivi/retirer"]`)
			flowLacks(t, res, ".timeline li.current")
			mails := app.mails(email)
			if last := mails[len(mails)-1]; last.Subject != flowT(t, lang, "mail.withdrawn.subject", "Name", "Les Amis du Vélo") {
				t.Errorf("last e-mail %q, want the withdrawal", last.Subject)
			}

			t.Run("withdrawing twice is refused clearly", func(t *testing.T) {
				b := b.flowFor(t)
				res := b.post("/suivi/retirer", url.Values{})
				flowExpect(t, res, http.StatusConflict, "")
				flowCheckLang(t, res, lang)
				flowHasText(t, res, "main", flowT(t, lang, "err.request.not_withdrawable"))
				res = b.get("/suivi/retirer")
				flowExpect(t, res, http.StatusSeeOther, "/suivi")
				if n := len(app.flowFor(t).mails(email)); n != len(mails) {
					t.Errorf("%d e-mails after a refused withdrawal, want %d", n, len(mails))
				}
			})
			t.Run("withdrawing without a request is refused", func(t *testing.T) {
				res := app.flowFor(t).browser(lang).post("/suivi/retirer", url.Values{})
				flowExpect(t, res, http.StatusNotFound, "")
				flowHasText(t, res, "main", flowT(t, lang, "err.link.none"))
			})
			t.Run("a new request with the same address is allowed from another browser", func(t *testing.T) {
				app := app.flowFor(t)
				other := app.browser(lang)
				flowStart(t, other, answers)
				if n := len(flowLinks(app, email)); n != 2 {
					t.Errorf("%d links e-mailed, want a new one", n)
				}
				res := other.post("/suivi/retirer", url.Values{}) // leaves the address free again
				flowExpect(t, res, http.StatusSeeOther, "/suivi?notice=withdrawn")
			})
			t.Run("a new request with the same address is allowed from the same browser", func(t *testing.T) {
				b := b.flowFor(t)
				res := b.get("/demande")
				flowExpect(t, res, http.StatusOK, "")
				if res.Doc.Find(`main a[href="/demande/association"]`).Length() != 1 {
					t.Error("the start page does not offer to begin again")
				}
				res = b.get("/demande/association")
				flowExpect(t, res, http.StatusOK, "")
				if v := res.Doc.Find(`input[name="name"]`).AttrOr("value", ""); v != "" {
					t.Errorf("the new request starts with the old answers: %q", v)
				}
				flowStart(t, b, answers)
				res = b.get("/suivi")
				flowExpect(t, res, http.StatusSeeOther, "/demande/membres")
			})
		})
	}
}

func TestFlowNavigation(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			started := app.browser(lang)
			flowStart(t, started, flowAnswers("anne-"+lang+"@amis-velo.example", ""))
			sent := flowSubmitted(t, app, lang, flowAnswers("bob-"+lang+"@autre.example", "W751515517"))
			stranger := app.browser(lang)
			badLink := func() string {
				b := make([]byte, 32)
				_, _ = rand.Read(b)
				return "/reprendre/" + base64.RawURLEncoding.EncodeToString(b)
			}()

			cases := []struct {
				name     string
				b        *browser
				method   string
				path     string
				status   int
				location string
				message  string // ID of a message the page shows
			}{
				{"a step not reached yet redirects to the furthest step", started, "GET", "/demande/besoins", 303, "/demande/membres", ""},
				{"posting a step not reached yet redirects to the furthest step", started, "POST", "/demande/hebergeur", 303, "/demande/membres", ""},
				{"the review cannot be reached early", started, "GET", "/demande/recapitulatif", 303, "/demande/membres", ""},
				{"a step already reached can be opened again", started, "GET", "/demande/association", 200, "", "step.association.title"},
				{"the start page offers to continue a draft", started, "GET", "/demande", 200, "", "start.continue"},
				{"the status page of a draft leads back to the flow", started, "GET", "/suivi", 303, "/demande/membres", ""},
				{"without a request the first step is open", stranger, "GET", "/demande/association", 200, "", "step.association.title"},
				{"without a request a later step leads to the start", stranger, "GET", "/demande/outils", 303, "/demande", ""},
				{"without a request posting a later step leads to the start", stranger, "POST", "/demande/outils", 303, "/demande", ""},
				{"without a request the status page explains how to get a link", stranger, "GET", "/suivi", 200, "", "status.nolink"},
				{"an unknown step is not found", stranger, "GET", "/demande/paiement", 404, "", "error.not_found"},
				{"posting to an unknown step is not found", started, "POST", "/demande/paiement", 404, "", "error.not_found"},
				{"an unknown page is not found", stranger, "GET", "/nulle-part", 404, "", "error.not_found"},
				{"a wrong method is not found", stranger, "DELETE", "/demande/association", 404, "", "error.not_found"},
				{"a bad private link is not found with a clear message", stranger, "GET", badLink, 404, "", "err.link.unknown"},
				{"a truncated private link is not found with a clear message", stranger, "GET", "/reprendre/abc", 404, "", "err.link.unknown"},
				{"a sent request cannot be edited", sent, "GET", "/demande/association", 303, "/suivi", ""},
				{"a sent request cannot be changed by a post", sent, "POST", "/demande/membres", 303, "/suivi", ""},
				{"a sent request cannot be sent again", sent, "POST", "/demande/recapitulatif", 303, "/suivi", ""},
				{"the start page shows a sent request", sent, "GET", "/demande", 200, "", "nav.status"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					b := tc.b.flowFor(t)
					var res *response
					switch tc.method {
					case "GET":
						res = b.get(tc.path)
					case "POST":
						res = b.post(tc.path, validAnswers("x@y.example")["membres"])
					default:
						req, _ := http.NewRequest(tc.method, app.Server.URL+tc.path, nil)
						res = b.do(req)
					}
					flowExpect(t, res, tc.status, tc.location)
					if tc.status != http.StatusSeeOther {
						flowCheckLang(t, res, lang)
					}
					if tc.message != "" {
						flowHasText(t, res, "main", flowT(t, lang, tc.message))
					}
				})
			}
		})
	}
}

func TestFlowChangingTheAddress(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			oldEmail, newEmail := "anne-"+lang+"@amis-velo.example", "tresorier-"+lang+"@amis-velo.example"
			answers := validAnswers(oldEmail)
			b := flowAtReview(t, app, lang, answers)
			oldLink := app.lastLink(oldEmail)
			flowExpect(t, b.get(oldLink), http.StatusSeeOther, "/demande/recapitulatif?notice=verified")
			flowLacks(t, b.get("/demande/recapitulatif"), "#verify")

			t.Run("the same address typed in capitals changes nothing", func(t *testing.T) {
				b := b.flowFor(t)
				res := b.post("/demande/association", flowWith(answers["association"], "contact_email", "Anne-"+lang+"@AMIS-VELO.example", "retour", "recapitulatif"))
				flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif")
				flowLacks(t, b.get("/demande/recapitulatif"), "#verify")
				if n := len(app.flowFor(t).mails(oldEmail)); n != 1 {
					t.Errorf("%d e-mails, want no new link", n)
				}
			})

			res := b.post("/demande/association", flowWith(answers["association"], "contact_email", newEmail, "retour", "recapitulatif"))
			flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif?notice=link_sent")
			res = b.get(res.Location)
			flowExpect(t, res, http.StatusOK, "")
			flowHasText(t, res, ".notice", flowT(t, lang, "notice.link_sent"))
			flowHasText(t, res, "#verify", flowT(t, lang, "review.unverified.body", "Email", newEmail))
			flowHasText(t, res, "dl.summary", newEmail)

			mails := app.mails(newEmail)
			if len(mails) != 1 || mails[0].Subject != flowT(t, lang, "mail.link.subject", "Name", "Les Amis du Vélo") {
				t.Fatalf("e-mails to the new address: %d", len(mails))
			}
			if n := len(app.mails(oldEmail)); n != 1 {
				t.Errorf("%d e-mails to the old address, want only the first link", n)
			}
			res = b.post("/demande/recapitulatif", answers["recapitulatif"])
			flowExpect(t, res, http.StatusForbidden, "")
			flowHasText(t, res, ".error-summary", flowT(t, lang, "err.request.unverified"))

			// The link sent to the old address cannot confirm the new one.
			res = app.browser(lang).get(oldLink)
			flowExpect(t, res, http.StatusNotFound, "")
			flowHasText(t, res, "main", flowT(t, lang, "err.link.unknown"))
			flowHasText(t, b.get("/demande/recapitulatif"), "#verify", flowT(t, lang, "review.unverified.title"))

			res = app.browser(lang).get(app.lastLink(newEmail))
			flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif?notice=verified")
			res = b.post("/demande/recapitulatif", answers["recapitulatif"])
			flowExpect(t, res, http.StatusSeeOther, "/suivi?notice=submitted")
			if m := app.mails(newEmail); m[len(m)-1].Subject != flowT(t, lang, "mail.submitted.subject", "Name", "Les Amis du Vélo") {
				t.Errorf("the confirmation did not go to the new address")
			}
		})
	}
}

func TestFlowChangeLinksReturnToTheReview(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			answers := validAnswers("anne-" + lang + "@amis-velo.example")
			b := flowAtReview(t, app, lang, answers)
			review := b.get("/demande/recapitulatif")
			for _, slug := range append([]string{"association"}, flowSlugs[:4]...) {
				t.Run("a change link to "+slug+" comes back to the review", func(t *testing.T) {
					b := b.flowFor(t)
					link := review.Doc.Find(`dl.summary a[href^="/demande/` + slug + `?retour=recapitulatif"]`)
					if link.Length() == 0 {
						t.Fatal("no change link on the review")
					}
					flowHasText(t, review, `dl.summary a[href^="/demande/`+slug+`?"]`, flowT(t, lang, "flow.change"))
					href, _, _ := strings.Cut(link.First().AttrOr("href", ""), "#")
					res := b.get(href)
					flowExpect(t, res, http.StatusOK, "")
					if res.Doc.Find(`form input[type="hidden"][name="retour"][value="recapitulatif"]`).Length() != 1 {
						t.Error("the step does not remember where it was opened from")
					}
					flowHasText(t, res, `form button[type="submit"]`, flowT(t, lang, "flow.save_return"))
					if slug != "association" {
						if back := res.Doc.Find(".back-link").AttrOr("href", ""); back != "/demande/recapitulatif" {
							t.Errorf("back link to %q", back)
						}
					}
					res = b.post("/demande/"+slug, flowWith(answers[slug], "retour", "recapitulatif"))
					flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif")
				})
			}
			t.Run("a refused change still comes back to the review", func(t *testing.T) {
				b := b.flowFor(t)
				res := b.post("/demande/membres", flowWith(answers["membres"], "members", "", "retour", "recapitulatif"))
				flowExpect(t, res, http.StatusBadRequest, "")
				if res.Doc.Find(`input[name="retour"][value="recapitulatif"]`).Length() != 1 {
					t.Error("the refused form lost its way back")
				}
				res = b.post("/demande/membres", flowWith(answers["membres"], "members", "41", "retour", "recapitulatif"))
				flowExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif")
				flowHasText(t, b.get("/demande/recapitulatif"), "dl.summary", "41")
			})
		})
	}
}

func TestFlowLanguage(t *testing.T) {
	app := newTestApp(t)
	t.Run("the language is chosen in order: ?lang, then the cookie, then Accept-Language", func(t *testing.T) {
		steps := []struct {
			name   string
			accept string
			path   string
			want   string
			cookie string // value of the language cookie set, "" for none
		}{
			{"Accept-Language alone picks English", "en-GB,en;q=0.9", "/", "en", ""},
			{"Accept-Language alone picks French", "fr-FR,fr;q=0.9", "/", "fr", ""},
			{"an unsupported language falls back to French", "de-DE", "/", "fr", ""},
			{"?lang=en wins over Accept-Language and is remembered", "fr-FR", "/?lang=en", "en", "en"},
			{"the cookie then wins over Accept-Language", "fr-FR", "/demande", "en", ""},
			{"?lang=fr wins over the cookie and replaces it", "en", "/confidentialite?lang=fr", "fr", "fr"},
			{"the new cookie is used from then on", "en", "/", "fr", ""},
			{"an unknown ?lang is ignored", "en", "/?lang=de", "fr", ""},
		}
		b := app.flowFor(t).browser("")
		for _, st := range steps {
			b.lang = st.accept
			res := b.get(st.path)
			flowExpect(t, res, http.StatusOK, "")
			if got := res.Doc.Find("html").AttrOr("lang", ""); got != st.want {
				t.Errorf("%s: <html lang=%q>, want %q", st.name, got, st.want)
			}
			if got := res.Header.Get("Content-Language"); got != st.want {
				t.Errorf("%s: Content-Language %q", st.name, got)
			}
			c := flowCookie(res, "archipel_lang")
			switch {
			case st.cookie == "" && c != nil:
				t.Errorf("%s: sets the language cookie to %q", st.name, c.Value)
			case st.cookie != "" && (c == nil || c.Value != st.cookie):
				t.Errorf("%s: language cookie %v, want %q", st.name, c, st.cookie)
			}
		}
	})

	t.Run("the language switch never leads to another site", func(t *testing.T) {
		b := app.flowFor(t).browser("fr")
		host := strings.TrimPrefix(app.Server.URL, "http://")
		for _, path := range []string{"//evil.example", "//evil.example/x", "///evil.example", "/\\evil.example"} {
			req, _ := http.NewRequest(http.MethodGet, app.Server.URL, nil)
			req.URL.Opaque = "//" + host + path // sent as is, not cleaned by the client
			res := b.do(req)
			href := res.Doc.Find(`header a[hreflang="en"]`).AttrOr("href", "")
			if res.Status != http.StatusNotFound || !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//") || strings.HasPrefix(href, "/\\") {
				t.Errorf("%s: status %d, language switch to %q", path, res.Status, href)
			}
		}
	})

	for _, lang := range flowLangs {
		t.Run("every page is marked "+lang+" and offers the other language", func(t *testing.T) {
			app := app.flowFor(t)
			sent := flowSubmitted(t, app, lang, flowAnswers("anne-"+lang+"@amis-velo.example", ""))
			filling := flowAtReview(t, app, lang, flowAnswers("bob-"+lang+"@autre.example", ""))
			stranger := app.browser(lang)
			pages := []struct {
				b      *browser
				path   string
				post   url.Values
				status int
			}{
				{stranger, "/", nil, 200},
				{stranger, "/confidentialite", nil, 200},
				{stranger, "/demande", nil, 200},
				{stranger, "/suivi", nil, 200},
				{stranger, "/nulle-part", nil, 404},
				{stranger, "/reprendre/inconnu", nil, 404},
				{stranger, "/lien/renvoyer", url.Values{"contact_email": {"x@y.example"}}, 200},
				{stranger, "/demande/association", url.Values{"name": {"x"}}, 400},
				{filling, "/demande/association", nil, 200},
				{filling, "/demande/membres", nil, 200},
				{filling, "/demande/outils", nil, 200},
				{filling, "/demande/besoins", nil, 200},
				{filling, "/demande/hebergeur", nil, 200},
				{filling, "/demande/recapitulatif", nil, 200},
				{filling, "/demande/recapitulatif", url.Values{}, 400},
				{sent, "/suivi", nil, 200},
				{sent, "/suivi/retirer", nil, 200},
			}
			other := map[string]string{"fr": "en", "en": "fr"}[lang]
			for _, pg := range pages {
				b := pg.b.flowFor(t)
				var res *response
				if pg.post != nil {
					res = b.post(pg.path, pg.post)
				} else {
					res = b.get(pg.path)
				}
				if res.Status != pg.status {
					t.Errorf("%s: status %d, want %d", pg.path, res.Status, pg.status)
					continue
				}
				flowCheckLang(t, res, lang)
				if href := res.Doc.Find(`header a[hreflang="`+other+`"]`).AttrOr("href", ""); href != pg.path+"?lang="+other {
					t.Errorf("%s: language switch to %q", pg.path, href)
				}
			}
			// Following the switch shows the page in the other language.
			b := stranger.flowFor(t)
			res := b.get("/demande?lang=" + other)
			flowCheckLang(t, res, other)
			flowHasText(t, res, "h1", flowT(t, other, "start.title"))
			b.get("/?lang=" + lang) // back, for the cases that share this browser
		})
	}
}

func TestFlowSecurityHeaders(t *testing.T) {
	app := newTestApp(t)
	b := app.browser("fr")
	pages := []struct {
		name string
		res  func() *response
	}{
		{"the home page", func() *response { return b.get("/") }},
		{"a step", func() *response { return b.get("/demande/association") }},
		{"a refused form", func() *response { return b.post("/demande/association", url.Values{}) }},
		{"a page not found", func() *response { return b.get("/nulle-part") }},
		{"a bad private link", func() *response { return b.get("/reprendre/inconnu") }},
		{"the style sheet", func() *response { return b.get("/static/archipel.css") }},
	}
	for _, pg := range pages {
		t.Run(pg.name+" carries the security headers", func(t *testing.T) {
			b.t = t
			res := pg.res()
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
				"form-action 'self'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*"} {
				if strings.Contains(csp, bad) {
					t.Errorf("CSP %q allows %s", csp, bad)
				}
			}
			for name, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"X-Frame-Options":        "DENY",
			} {
				if got := res.Header.Get(name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				if res.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
				}
				// The CSP forbids inline code: the pages must not need any.
				flowLacks(t, res, "script:not([src]), style, [style]")
				res.Doc.Find("*").Each(func(_ int, s *goquery.Selection) {
					for _, a := range s.Nodes[0].Attr {
						if strings.HasPrefix(a.Key, "on") {
							t.Errorf("inline handler %s on <%s>", a.Key, goquery.NodeName(s))
						}
					}
				})
			}
		})
	}

	t.Run("cookies are HttpOnly and SameSite=Lax", func(t *testing.T) {
		b := app.flowFor(t).browser("fr")
		res := b.post("/demande/association?lang=en", flowAnswers("cookie@amis-velo.example", "")["association"])
		flowExpect(t, res, http.StatusSeeOther, "")
		for _, name := range []string{"archipel_demande", "archipel_lang"} {
			c := flowCookie(res, name)
			if c == nil {
				t.Errorf("no %s cookie set", name)
				continue
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("%s: HttpOnly %t, SameSite %v, Path %q", name, c.HttpOnly, c.SameSite, c.Path)
			}
		}
		res = b.get(app.lastLink("cookie@amis-velo.example"))
		if c := flowCookie(res, "archipel_demande"); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("the private link sets %v", c)
		}
	})
}

func TestFlowRefusesCrossOriginPosts(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			sent := flowSubmitted(t, app, lang, flowAnswers("anne-"+lang+"@amis-velo.example", ""))
			cases := []struct {
				name   string
				header http.Header
				path   string
				b      *browser
				status int
			}{
				{"a form posted from another site is refused", http.Header{"Sec-Fetch-Site": {"cross-site"}}, "/demande/association", app.browser(lang), 403},
				{"a form posted from a sibling site is refused", http.Header{"Sec-Fetch-Site": {"same-site"}}, "/demande/association", app.browser(lang), 403},
				{"a form with another host as Origin is refused", http.Header{"Origin": {"https://evil.example"}}, "/demande/association", app.browser(lang), 403},
				{"a withdrawal posted from another site is refused", http.Header{"Sec-Fetch-Site": {"cross-site"}}, "/suivi/retirer", sent, 403},
				{"a resend posted from another site is refused", http.Header{"Origin": {"http://evil.example"}}, "/lien/renvoyer", app.browser(lang), 403},
				{"a form posted from the same origin is accepted", http.Header{"Sec-Fetch-Site": {"same-origin"}}, "/demande/association", app.browser(lang), 303},
				{"a form with this site as Origin is accepted", http.Header{"Origin": {app.Server.URL}}, "/demande/association", app.browser(lang), 303},
			}
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					app := app.flowFor(t)
					b := tc.b.flowFor(t)
					form := flowAnswers("cors"+string(rune('a'+i))+"-"+lang+"@amis-velo.example", "")["association"]
					mails := flowMailCount(t, app)
					res := b.flowPostWith(tc.path, strings.NewReader(form.Encode()), tc.header)
					flowExpect(t, res, tc.status, "")
					if tc.status != http.StatusForbidden {
						return
					}
					if !strings.Contains(res.Body, flowT(t, lang, "error.cross_origin")) {
						t.Errorf("the refusal does not say why in %s: %q", lang, res.Body)
					}
					if flowCookie(res, "archipel_demande") != nil || flowMailCount(t, app) != mails {
						t.Error("the refused post had an effect")
					}
				})
			}
			t.Run("the refused withdrawal left the request as it was", func(t *testing.T) {
				res := sent.flowFor(t).get("/suivi")
				flowHasText(t, res, ".timeline li.current", flowT(t, lang, "status.submitted"))
			})
			t.Run("the refusal speaks the language chosen on the site", func(t *testing.T) {
				other := map[string]string{"fr": "en", "en": "fr"}[lang]
				b := app.flowFor(t).browser(other)
				b.get("/?lang=" + lang)
				res := b.flowPostWith("/demande/association", strings.NewReader("name=x"), http.Header{"Sec-Fetch-Site": {"cross-site"}})
				flowExpect(t, res, http.StatusForbidden, "")
				if !strings.Contains(res.Body, flowT(t, lang, "error.cross_origin")) {
					t.Errorf("the refusal is not in %s: %q", lang, res.Body)
				}
			})
		})
	}
}

func TestFlowRefusesLargeBodies(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			sent := flowSubmitted(t, app, lang, flowAnswers("anne-"+lang+"@amis-velo.example", ""))
			big := flowWith(validAnswers("big-" + lang + "@amis-velo.example")["association"], "purpose", strings.Repeat("vélo ", 14000))
			cases := []struct {
				name    string
				b       *browser
				path    string
				body    func() io.Reader
				chunked bool
			}{
				{"a form over 64 KiB is refused", app.browser(lang), "/demande/association",
					func() io.Reader { return strings.NewReader(big.Encode()) }, false},
				{"a form over 64 KiB sent without a length is refused", app.browser(lang), "/demande/association",
					func() io.Reader { return io.MultiReader(strings.NewReader(big.Encode())) }, true},
				{"a withdrawal with a body over 64 KiB is refused", sent, "/suivi/retirer",
					func() io.Reader { return strings.NewReader("x=" + strings.Repeat("a", 70<<10)) }, false},
			}
			for _, tc := range cases {
				t.Run(tc.name+" with a page", func(t *testing.T) {
					res := tc.b.flowFor(t).flowPostWith(tc.path, tc.body(), nil)
					flowExpect(t, res, http.StatusRequestEntityTooLarge, "")
					flowCheckLang(t, res, lang)
					flowHasText(t, res, "h1", flowT(t, lang, "error.title"))
					flowHasText(t, res, "main", flowT(t, lang, "error.too_large"))
					if flowCookie(res, "archipel_demande") != nil {
						t.Error("the refused form created a request")
					}
				})
			}
			t.Run("the refused withdrawal left the request as it was", func(t *testing.T) {
				res := sent.flowFor(t).get("/suivi")
				flowHasText(t, res, ".timeline li.current", flowT(t, lang, "status.submitted"))
			})
			t.Run("a form under the limit is read and validated", func(t *testing.T) {
				form := flowWith(big, "purpose", strings.Repeat("vélo ", 2000))
				res := app.flowFor(t).browser(lang).post("/demande/association", form)
				flowExpect(t, res, http.StatusBadRequest, "")
				flowCheckErrors(t, res, lang, []flowFieldError{{"purpose", "err.too_long"}})
			})
		})
	}
}

func TestFlowHoneypot(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("a robot filling the hidden field is refused in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			b := app.browser(lang)
			res := b.get("/demande/association")
			hp := res.Doc.Find(`.hp[aria-hidden="true"] input[name="nickname"]`)
			if hp.Length() != 1 || hp.AttrOr("tabindex", "") != "-1" || hp.AttrOr("autocomplete", "") != "off" {
				t.Fatal("no hidden field for robots")
			}
			email := "robot-" + lang + "@amis-velo.example"
			form := flowWith(validAnswers(email)["association"], "nickname", "Robby")
			res = b.post("/demande/association", form)
			flowExpect(t, res, http.StatusBadRequest, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, ".error-summary", flowT(t, lang, "err.robot"))
			flowCheckValues(t, res.Doc, form, "website", "nickname")
			if flowCookie(res, "archipel_demande") != nil || len(app.mails(email)) > 0 {
				t.Error("the robot's request was created")
			}
		})
	}
}

func TestFlowRateLimitsNewRequests(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run("the third request in an hour from one address is refused in "+lang, func(t *testing.T) {
			app := newTestAppWith(t, server.Options{StartsPerHour: 2})
			first := app.browser(lang)
			flowStart(t, first, flowAnswers("un-"+lang+"@amis-velo.example", ""))
			flowStart(t, app.browser(lang), flowAnswers("deux-"+lang+"@amis-velo.example", ""))

			email := "trois-" + lang + "@amis-velo.example"
			form := flowAnswers(email, "W751515517")["association"]
			res := app.browser(lang).post("/demande/association", form)
			flowExpect(t, res, http.StatusTooManyRequests, "")
			flowCheckLang(t, res, lang)
			flowHasText(t, res, ".error-summary", flowT(t, lang, "err.rate_limited"))
			if title := flowNorm(res.Doc.Find("title").Text()); !strings.HasPrefix(title, flowT(t, lang, "errors.title_prefix")) {
				t.Errorf("title %q", title)
			}
			flowCheckValues(t, res.Doc, form, "website")
			if flowCookie(res, "archipel_demande") != nil || len(app.mails(email)) > 0 {
				t.Error("the refused request was created")
			}

			// Saving a request already made is not a new request.
			res = first.post("/demande/association", flowAnswers("un-"+lang+"@amis-velo.example", "")["association"])
			flowExpect(t, res, http.StatusSeeOther, "/demande/membres")
		})
	}
}

func TestFlowHealth(t *testing.T) {
	app := newTestApp(t)
	b := app.browser("")
	probes := []struct {
		name   string
		path   string
		status int
	}{
		{"the process answers while the database is up", "/healthz", 200},
		{"the service is ready while the database is up", "/readyz", 200},
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			flowExpect(t, b.flowFor(t).get(p.path), p.status, "")
		})
	}
	if err := app.DB.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("the service is not ready once the database is gone", func(t *testing.T) {
		flowExpect(t, b.flowFor(t).get("/readyz"), http.StatusServiceUnavailable, "")
	})
	t.Run("the process still answers once the database is gone", func(t *testing.T) {
		flowExpect(t, b.flowFor(t).get("/healthz"), http.StatusOK, "")
	})
}
