package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
	"archipel/onboarding"
)

// formValues reads the values a form would post as shown.
func formValues(doc *goquery.Document, action string) url.Values {
	v := url.Values{}
	form := doc.Find(`form[action="` + action + `"]`).First()
	form.Find("input[name], textarea[name], select[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		switch {
		case goquery.NodeName(s) == "textarea":
			v.Add(name, s.Text())
		case goquery.NodeName(s) == "select":
			if val, ok := s.Find("option[selected]").Attr("value"); ok {
				v.Add(name, val)
			}
		default:
			typ, _ := s.Attr("type")
			if (typ == "checkbox" || typ == "radio") && s.AttrOr("checked", "-") == "-" {
				return
			}
			v.Add(name, s.AttrOr("value", ""))
		}
	})
	return v
}

// TestAcceptedHostTermsRecordTheirVersionAndDigest checks that a host's
// terms written in Archipel are shown to the association choosing it, and
// that its request records the version and digest of that text, which the
// request's page shows with the text itself, even after the host changed it.
func TestAcceptedHostTermsRecordTheirVersionAndDigest(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	edit := "/staff/admin/hosts/h-lyon"
	if _, err := app.DB.ExecContext(ctx, `UPDATE hosts SET contact_email = 'contact@ile.example' WHERE id = 'h-lyon'`); err != nil {
		t.Fatal(err)
	}
	setTerms := func(text string) {
		t.Helper()
		res := admin.get(edit)
		adminExpect(t, res, http.StatusOK, "")
		form := formValues(res.Doc, edit)
		if form.Get("host_name") == "" {
			t.Fatalf("no host form at %s", edit)
		}
		form.Set("host_terms_text", text)
		adminExpect(t, admin.post(edit, form), http.StatusSeeOther, "")
	}
	versions := func() int { return app.reqCount(`SELECT COUNT(*) FROM host_terms WHERE host_id = 'h-lyon'`) }
	const v1 = "Article 1. L'association respecte la charte.\r\n\r\nArticle 2. Les données restent en France.  \r\n"
	const v2 = "Article 1. L'association respecte la charte.\n\nArticle 2. Les données restent en France.\n\nArticle 3. Une sauvegarde par jour."
	stored := func(id string) *onboarding.AcceptedTerms {
		t.Helper()
		a, err := onboarding.NewStore(app.DB, nil).Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Answers.Consent.Terms == nil {
			t.Fatal("no terms recorded")
		}
		return a.Answers.Consent.Terms
	}

	setTerms(v1)
	t.Run("the host's terms page shows the current text and its version", func(t *testing.T) {
		res := app.browser("fr").get("/conditions/ile-numerique")
		adminExpect(t, res, http.StatusOK, "")
		adminHasText(t, res, "main", "Article 2. Les données restent en France.")
		adminHasText(t, res, "main", "Version 1")
		adminExpect(t, app.browser("fr").get("/conditions/recif-solidaire"), http.StatusNotFound, "")
	})
	t.Run("saving the same text makes no new version", func(t *testing.T) {
		setTerms(strings.ReplaceAll(v1, "\r\n", "\n"))
		if n := versions(); n != 1 {
			t.Errorf("%d versions", n)
		}
	})

	t.Run("the review links to the text", func(t *testing.T) {
		answers := reqAnswers("lea@cercle.example", "Le Cercle", "ile-numerique")
		b := app.browser("fr")
		adminExpect(t, b.post("/demande/association", answers["association"]), http.StatusSeeOther, "")
		for _, slug := range []string{"membres", "outils", "besoins", "hebergeur"} {
			adminExpect(t, b.post("/demande/"+slug, answers[slug]), http.StatusSeeOther, "")
		}
		res := b.get("/demande/recapitulatif")
		adminExpect(t, res, http.StatusOK, "")
		if res.Doc.Find(`a[href="/conditions/ile-numerique"]`).Length() != 1 {
			t.Error("no link to the host's terms")
		}
	})
	_, first := app.reqSubmit("fr", "anne@jardins.example", "Les Jardins partagés")
	t.Run("the request records the version and digest of the text accepted", func(t *testing.T) {
		terms := stored(first)
		want := onboarding.TextDigest("Article 1. L'association respecte la charte.\n\nArticle 2. Les données restent en France.")
		if terms.Kind != onboarding.TermsHost || terms.Version != "1" || terms.Digest != want {
			t.Errorf("recorded %+v, want version 1 and digest %s", terms, want)
		}
	})

	setTerms(v2)
	_, second := app.reqSubmit("fr", "paul@velo.example", "Vélo pour tous")
	t.Run("a change makes a new version, which the next request records", func(t *testing.T) {
		if n := versions(); n != 2 {
			t.Errorf("%d versions", n)
		}
		if terms := stored(second); terms.Version != "2" || terms.Digest != onboarding.TextDigest(v2) {
			t.Errorf("recorded %+v", terms)
		}
		adminHasText(t, app.browser("fr").get("/conditions/ile-numerique"), "main", "Version 2")
	})
	t.Run("the request's page shows the version, the digest and the text accepted", func(t *testing.T) {
		res := staff.get("/staff/requests/" + first)
		adminExpect(t, res, http.StatusOK, "")
		row := adminText(res, "#accepted-terms")
		for _, want := range []string{"version 1", stored(first).Digest[:12], "Article 2. Les données restent en France."} {
			if !strings.Contains(row, want) {
				t.Errorf("%q not in %q", want, row)
			}
		}
		if strings.Contains(row, "Article 3") {
			t.Error("the first request shows the text of a later version")
		}
		adminHasText(t, staff.get("/staff/requests/"+second), "#accepted-terms", "Article 3. Une sauvegarde par jour.")
	})
}
