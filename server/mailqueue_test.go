package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"archipel/accounts"
)

func TestAnEmailIsKeptWhileTheMailServerIsDownAndAdministratorsSeeIt(t *testing.T) {
	app := newTestApp(t)
	app.Outbox.Down(true)
	answers := validAnswers("tresorerie@velo.example")
	b := app.browser("fr")
	res := b.post("/demande/association", answers["association"])
	adminExpect(t, res, http.StatusSeeOther, "")
	page := b.get(res.Location)
	adminHasText(t, page, "body", adminT(t, "fr", "notice.link_sent"))

	for range 3 { // three delivery rounds, all refused
		if got := app.mails("tresorerie@velo.example"); len(got) != 0 {
			t.Fatalf("%d messages went through a server that is down", len(got))
		}
	}
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	list := admin.get("/staff/admin/mail")
	if list.Status != http.StatusOK {
		t.Fatalf("status %d: %s", list.Status, app.Logs.String())
	}
	if n := list.Doc.Find("tbody tr").Length(); n != 1 {
		t.Fatalf("%d failing e-mails listed, want 1:\n%s", n, adminText(list, "main"))
	}
	adminHasText(t, list, "tbody", "tresorerie@velo.example")
	action, ok := list.Doc.Find("tbody form").Attr("action")
	if !ok {
		t.Fatal("no retry form")
	}
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	if res := staff.get("/staff/admin/mail"); res.Status == http.StatusOK {
		t.Errorf("host staff see the failing e-mails (status %d)", res.Status)
	}

	app.Outbox.Down(false)
	adminExpect(t, admin.post(action, url.Values{}), http.StatusSeeOther, "/staff/admin/mail?notice=mail_retried")
	link := app.lastLink("tresorerie@velo.example")
	if len(app.mails("tresorerie@velo.example")) != 1 {
		t.Errorf("want exactly one link e-mail once the server is back")
	}
	fresh := app.browser("fr")
	adminExpect(t, fresh.get(link), http.StatusSeeOther, "")
	if list := admin.get("/staff/admin/mail"); list.Doc.Find("tbody tr").Length() != 0 {
		t.Errorf("still listed once sent:\n%s", adminText(list, "main"))
	}
}
