package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"archipel/accounts"
)

// notifyStaff is a staff account the notification tests watch.
type notifyStaff struct {
	b    *browser
	u    *accounts.User
	lang string
}

func (a *testApp) notifyAccount(role accounts.Role, hostID, lang string) notifyStaff {
	a.t.Helper()
	b, u := a.staffBrowserUser(role, hostID)
	if lang != "fr" {
		f := url.Values{"user_language": {lang}}
		adminExpect(a.t, b.post("/staff/notifications", f), http.StatusSeeOther, "/staff/notifications?notice=notify_saved")
	}
	return notifyStaff{b: b, u: u, lang: lang}
}

// subjects are the subjects of the e-mails sent to addr, oldest first.
func (a *testApp) subjects(addr string) []string {
	var out []string
	for _, m := range a.mails(addr) {
		out = append(out, m.Subject)
	}
	return out
}

func TestStaffAreToldOnceInTheirLanguageAndOnlyOfTheirHost(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	if _, err := app.DB.ExecContext(ctx, `UPDATE hosts SET contact_email = 'contact@ile.example', contact_language = 'en' WHERE id = 'h-lyon'`); err != nil {
		t.Fatal(err)
	}
	lyonFR := app.notifyAccount(accounts.RoleStaff, "h-lyon", "fr")
	lyonEN := app.notifyAccount(accounts.RoleStaff, "h-lyon", "en")
	trainer := app.notifyAccount(accounts.RoleTrainer, "h-lyon", "fr")
	other := app.notifyAccount(accounts.RoleStaff, "h-all", "fr")
	admin := app.notifyAccount(accounts.RoleAdmin, "", "en")
	name := "Les Amis du Vélo"
	subject := func(lang, key string) string { return adminT(t, lang, "notify."+key+".subject", "Name", name) }

	b, id := app.reqSubmit("fr", "velo@asso.example", name)
	t.Run("a new request is told to its host's staff, each in their language, and its contact", func(t *testing.T) {
		for _, c := range []struct {
			who  string
			addr string
			want []string
		}{
			{"staff reading French", lyonFR.u.Email, []string{subject("fr", "new_request")}},
			{"staff reading English", lyonEN.u.Email, []string{subject("en", "new_request")}},
			{"the host's contact, in its language", "contact@ile.example", []string{subject("en", "new_request")}},
			{"a trainer, who does not decide", trainer.u.Email, nil},
			{"another host's staff", other.u.Email, nil},
			{"an administrator, the request having a host", admin.u.Email, nil},
		} {
			if got := app.subjects(c.addr); strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%s got %q, want %q", c.who, got, c.want)
			}
		}
		m := app.mails(lyonEN.u.Email)[0]
		if !strings.Contains(m.Text, "/staff/requests/"+id) || !strings.Contains(m.Text, "/staff/notifications") {
			t.Errorf("the e-mail links neither the request nor the preferences:\n%s", m.Text)
		}
	})

	t.Run("a withdrawal is told once, as each account chose", func(t *testing.T) {
		adminExpect(t, lyonFR.b.post("/staff/notifications", url.Values{"user_language": {"fr"}, "notify_withdrawn": {"off"}}),
			http.StatusSeeOther, "/staff/notifications?notice=notify_saved")
		page := lyonFR.b.get("/staff/notifications")
		if v, _ := page.Doc.Find(`input[name="notify_withdrawn"]:checked`).Attr("value"); v != "off" {
			t.Errorf("the page shows %q for withdrawals, want off", v)
		}
		adminExpect(t, b.post("/suivi/retirer", url.Values{}), http.StatusSeeOther, "/suivi?notice=withdrawn")
		if got := app.subjects(lyonEN.u.Email); len(got) != 2 || got[1] != subject("en", "withdrawn") {
			t.Errorf("English staff got %q", got)
		}
		if got := app.subjects(lyonFR.u.Email); len(got) != 1 {
			t.Errorf("staff who turned withdrawals off got %q", got)
		}
		if got := app.subjects(other.u.Email); len(got) != 0 {
			t.Errorf("another host's staff got %q", got)
		}
	})

	t.Run("a request no host can take is told to the administrators", func(t *testing.T) {
		answers := reqAnswers("video@asso.example", "Ciné-club de Paris", "auto")
		answers["association"].Set("postcode", "75011")
		answers["association"].Set("town", "Paris")
		answers["besoins"].Set("services", "video")
		adminSubmitRequest(t, app, "fr", answers)
		want := adminT(t, "en", "notify.new_request_shared.subject", "Name", "Ciné-club de Paris")
		if got := app.subjects(admin.u.Email); len(got) != 1 || got[0] != want {
			t.Errorf("the administrator got %q, want [%q]", got, want)
		}
		for _, s := range []notifyStaff{lyonFR, lyonEN, other} {
			for _, got := range app.subjects(s.u.Email) {
				if strings.Contains(got, "Ciné-club") {
					t.Errorf("%s was told of a request in the shared queue", s.u.Email)
				}
			}
		}
	})
}

func TestTheDailyDigestGathersWhatWasNotToldAtOnce(t *testing.T) {
	app := newTestApp(t)
	staff := app.notifyAccount(accounts.RoleStaff, "h-lyon", "en")
	form := url.Values{"user_language": {"en"}, "notify_new_request": {"digest"}, "notify_withdrawn": {"digest"}}
	adminExpect(t, staff.b.post("/staff/notifications", form), http.StatusSeeOther, "/staff/notifications?notice=notify_saved")
	b, _ := app.reqSubmit("fr", "une@asso.example", "Asso Une")
	app.reqSubmit("fr", "deux@asso.example", "Asso Deux")
	adminExpect(t, b.post("/suivi/retirer", url.Values{}), http.StatusSeeOther, "/suivi?notice=withdrawn")
	if got := app.subjects(staff.u.Email); len(got) != 0 {
		t.Fatalf("told at once despite choosing the digest: %q", got)
	}

	notifier := &accounts.Notifier{Store: app.Accounts, Postman: app.Postman, BaseURL: app.Server.URL}
	n, err := notifier.SendDigests(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("SendDigests = %d, %v; want one digest", n, err)
	}
	mails := app.mails(staff.u.Email)
	if len(mails) != 1 {
		t.Fatalf("%d e-mails, want one digest", len(mails))
	}
	d := mails[0]
	if want := adminT(t, "en", "notify.digest.subject", "Count", 3); d.Subject != want {
		t.Errorf("subject %q, want %q", d.Subject, want)
	}
	for _, line := range []string{
		adminT(t, "en", "notify.new_request.line", "Name", "Asso Une"),
		adminT(t, "en", "notify.new_request.line", "Name", "Asso Deux"),
		adminT(t, "en", "notify.withdrawn.line", "Name", "Asso Une"),
	} {
		if strings.Count(d.Text, line) != 1 {
			t.Errorf("the digest does not list %q once:\n%s", line, d.Text)
		}
	}
	if n, err := notifier.SendDigests(context.Background()); err != nil || n != 0 {
		t.Errorf("a second run sent %d digests (%v): an event must be in one digest only", n, err)
	}
}
