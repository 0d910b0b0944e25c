package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
)

// staffPassword is the password of the accounts staffBrowser creates.
const staffPassword = "une phrase de passe assez longue"

var staffSeq atomic.Int64

// staffBrowser creates a staff account with a password through the
// accounts store and returns a browser signed in with it (in French).
func (a *testApp) staffBrowser(role accounts.Role, hostID string) *browser {
	a.t.Helper()
	b, _ := a.staffBrowserUser(role, hostID)
	return b
}

// staffBrowserUser is staffBrowser that also returns the account.
func (a *testApp) staffBrowserUser(role accounts.Role, hostID string) (*browser, *accounts.User) {
	a.t.Helper()
	ctx := context.Background()
	email := fmt.Sprintf("%s-%d@staff.example", role, staffSeq.Add(1))
	u, err := a.Accounts.Create(ctx, accounts.NewUser{Email: email, Name: "Camille " + string(role), Role: role, HostID: hostID})
	if err != nil {
		a.t.Fatalf("create %s: %v", email, err)
	}
	if err := a.Accounts.SetPassword(ctx, u, staffPassword); err != nil {
		a.t.Fatalf("set password: %v", err)
	}
	b := a.browser("fr")
	b.staffLogin(email, staffPassword)
	return b, u
}

// staffLogin signs the browser in, failing the test unless it works.
func (b *browser) staffLogin(email, password string) {
	b.t.Helper()
	res := b.post("/staff/login", url.Values{"email": {email}, "password": {password}, "next": {"/staff"}})
	if res.Status != http.StatusSeeOther || res.Location != "/staff" {
		b.t.Fatalf("login as %s: status %d, location %q", email, res.Status, res.Location)
	}
}

// adminT translates a message as the pages do; a missing ID fails the test.
func adminT(t *testing.T, lang, id string, args ...any) string {
	t.Helper()
	msg, err := loadTemplates(t).T(lang, id, args...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// adminText is the text of what sel selects, white space collapsed.
func adminText(res *response, sel string) string {
	return strings.Join(strings.Fields(res.Doc.Find(sel).Text()), " ")
}

// adminExpect fails unless the response has that status and, when location
// is not empty, redirects there.
func adminExpect(t *testing.T, res *response, status int, location string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d (location %q)\n%s", res.Status, status, res.Location, adminText(res, "main"))
	}
	if location != "" && res.Location != location {
		t.Fatalf("redirected to %q, want %q", res.Location, location)
	}
}

// adminHasText fails unless the text of sel contains want.
func adminHasText(t *testing.T, res *response, sel, want string) {
	t.Helper()
	want = strings.Join(strings.Fields(want), " ")
	if got := adminText(res, sel); !strings.Contains(got, want) {
		t.Errorf("%s: %q does not contain %q", sel, got, want)
	}
}

// adminCheckErrors fails unless the page is a refusal listing exactly
// these fields in its error summary, each with its message next to it.
func adminCheckErrors(t *testing.T, res *response, lang string, want map[string]string) {
	t.Helper()
	if title := res.Doc.Find("title").Text(); !strings.HasPrefix(title, adminT(t, lang, "errors.title_prefix")) {
		t.Errorf("title %q does not say there is an error", title)
	}
	var got []string
	res.Doc.Find(".error-summary a").Each(func(_ int, s *goquery.Selection) {
		got = append(got, strings.TrimPrefix(s.AttrOr("href", ""), "#f-"))
	})
	var fields []string
	for f := range want {
		fields = append(fields, f)
	}
	slices.Sort(got)
	slices.Sort(fields)
	if !slices.Equal(got, fields) {
		t.Errorf("error summary links to %q, want %q", got, fields)
	}
	for field, key := range want {
		if msg := adminText(res, "#f-"+field+"-error"); !strings.Contains(msg, adminT(t, lang, key)) {
			t.Errorf("%s: inline error %q, want %q", field, msg, adminT(t, lang, key))
		}
		if res.Doc.Find("#f-"+field).Length() != 1 {
			t.Errorf("no field #f-%s for the summary to link to", field)
		}
	}
}

// adminCheckValues fails unless every value of form is shown back in the
// page: in its input, textarea, selected option or checked boxes.
func adminCheckValues(t *testing.T, res *response, form url.Values, skip ...string) {
	t.Helper()
	for name, vals := range form {
		if slices.Contains(skip, name) {
			continue
		}
		els := res.Doc.Find(`form [name="` + name + `"]`)
		switch {
		case els.Length() == 0:
			t.Errorf("no field %s in the page", name)
		case els.Is("select"):
			if got := els.Find("option[selected]").AttrOr("value", ""); got != vals[0] {
				t.Errorf("%s: option %q selected, typed %q", name, got, vals[0])
			}
		case els.Is("textarea"):
			if got := els.Text(); strings.TrimSpace(got) != strings.TrimSpace(vals[0]) {
				t.Errorf("%s: textarea holds %q, typed %q", name, got, vals[0])
			}
		case els.Is(`input[type="radio"], input[type="checkbox"]`):
			var checked []string
			els.Filter("[checked]").Each(func(_ int, s *goquery.Selection) { checked = append(checked, s.AttrOr("value", "")) })
			want := slices.Clone(vals)
			slices.Sort(checked)
			slices.Sort(want)
			if !slices.Equal(checked, want) {
				t.Errorf("%s: %q checked, typed %q", name, checked, want)
			}
		default:
			if got := els.AttrOr("value", ""); got != strings.TrimSpace(vals[0]) {
				t.Errorf("%s: input holds %q, typed %q", name, got, vals[0])
			}
		}
	}
}

// adminSubmitRequest fills the guided flow with answers, confirms the
// address through the e-mailed link and submits; it returns the
// association's browser on its status page's redirect.
func adminSubmitRequest(t *testing.T, app *testApp, lang string, answers map[string]url.Values) *browser {
	t.Helper()
	b := app.browser(lang)
	res := b.post("/demande/association", answers["association"])
	adminExpect(t, res, http.StatusSeeOther, "")
	for _, slug := range []string{"membres", "outils", "besoins", "hebergeur"} {
		adminExpect(t, b.post("/demande/"+slug, answers[slug]), http.StatusSeeOther, "")
	}
	adminExpect(t, b.get(app.lastLink(answers["association"].Get("contact_email"))), http.StatusSeeOther, "")
	adminExpect(t, b.post("/demande/recapitulatif", answers["recapitulatif"]), http.StatusSeeOther, "/suivi?notice=submitted")
	return b
}

// requestOf returns the id, host and match reason of the request sent
// from an address.
func (a *testApp) requestOf(email string) (id, hostID, reason string) {
	a.t.Helper()
	var host *string
	err := a.DB.QueryRowContext(context.Background(), `SELECT id, host_id, match_reason FROM applications WHERE contact_email = $1`,
		strings.ToLower(email)).Scan(&id, &host, &reason)
	if err != nil {
		a.t.Fatalf("request of %s: %v", email, err)
	}
	if host != nil {
		hostID = *host
	}
	return id, hostID, reason
}

// auditActions lists the actions of the audit log, oldest first.
func (a *testApp) auditActions() []string {
	a.t.Helper()
	entries, err := a.Accounts.Audit(context.Background(), accounts.AuditFilter{})
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].Action)
	}
	return out
}
