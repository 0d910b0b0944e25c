package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"archipel/accounts"
)

// follow opens a link and follows its redirects, as a browser would, and
// returns the page it lands on and its path.
func (b *browser) follow(link string) (*response, string) {
	b.t.Helper()
	res := b.get(link)
	path := link
	for i := 0; i < 5 && (res.Status == http.StatusSeeOther || res.Status == http.StatusFound); i++ {
		path = res.Location
		res = b.get(res.Location)
	}
	if u, err := url.Parse(path); err == nil {
		path = u.Path
	}
	return res, path
}

// Every e-mail to the association carries a private link that opens its
// request in a browser that never saw it: another device, a fresh cookie
// jar. The "more information" link opens the host's question.
func TestEveryAssociationEmailOpensItsPageInAFreshBrowser(t *testing.T) {
	app := newTestApp(t)
	app.reqConnect("h-lyon")
	const addr = "anne@velo.example"
	_, id := app.reqSubmit("fr", addr, "Les Amis du Vélo")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")

	res := staff.get(page + "/info")
	form := url.Values{"version": {reqVersion(t, res)}, "info_steps": {"membres"}, "info_message": {"Combien de bénévoles ?"}}
	reqExpect(t, staff.post(page+"/info", form), http.StatusSeeOther, page+"?notice=info_requested")
	info := app.reqMailsTagged(addr, "info_requested")
	if len(info) != 1 {
		t.Fatalf("%d info e-mails", len(info))
	}
	t.Run("the 'more information' link opens the host's question and the reopened step", func(t *testing.T) {
		res, path := app.browser("fr").follow(linkRe.FindString(info[0].Text))
		if path != "/suivi" || res.Status != http.StatusOK {
			t.Fatalf("landed on %s (%d)", path, res.Status)
		}
		adminHasText(t, res, "#info", "Combien de bénévoles ?")
		if res.Doc.Find(`#info a[href="/demande/membres?retour=recapitulatif"]`).Length() != 1 {
			t.Errorf("the reopened step is not linked:\n%s", adminText(res, "#info"))
		}
	})
	assoc := app.browser("fr")
	assoc.follow(linkRe.FindString(info[0].Text))
	answers := reqAnswers(addr, "Les Amis du Vélo", "ile-numerique")
	reqExpect(t, assoc.post("/demande/recapitulatif", answers["recapitulatif"]), http.StatusSeeOther, "/suivi?notice=submitted")

	date, clock, _ := reqSlot(7)
	res = staff.get(page + "/interview")
	reqExpect(t, staff.post(page+"/interview", url.Values{"version": {reqVersion(t, res)}, "interview_date": {date}, "interview_time": {clock},
		"interview_duration": {"45"}, "interview_mode": {"phone"}}), http.StatusSeeOther, page+"?notice=interview_planned")
	res = staff.get(page + "/approve")
	reqExpect(t, staff.post(page+"/approve", url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"10"}, "plan_accounts": {"5"},
		"plan_folders": {"Administratif"}, "plan_services": {"files"}}), http.StatusSeeOther, page+"?notice=approved")
	app.reqRunDue()

	// A second request, declined.
	const addr2 = "bob@chorale.example"
	_, id2 := app.reqSubmit("en", addr2, "Chorale")
	res = staff.get("/staff/requests/" + id2 + "/decline")
	reqExpect(t, staff.post("/staff/requests/"+id2+"/decline", url.Values{"version": {reqVersion(t, res)}, "template": {""},
		"decline_reason": {"We are full."}}), http.StatusSeeOther, "/staff/requests/"+id2+"?notice=declined")

	seen := map[string]bool{}
	for _, who := range []struct{ addr, name string }{{addr, "Les Amis du Vélo"}, {addr2, "Chorale"}} {
		for _, m := range app.mails(who.addr) {
			seen[m.Tag] = true
			link := linkRe.FindString(m.Text)
			if link == "" {
				if m.Tag != "withdrawn" {
					t.Errorf("the %q e-mail carries no private link:\n%s", m.Tag, m.Text)
				}
				continue
			}
			if !strings.Contains(m.HTML, link) {
				t.Errorf("the HTML part of the %q e-mail lacks the link", m.Tag)
			}
			res, path := app.browser("fr").follow(link)
			if res.Status != http.StatusOK || !strings.HasPrefix(path, "/suivi") && !strings.HasPrefix(path, "/demande/") {
				t.Errorf("the %q e-mail's link landed on %s (%d)", m.Tag, path, res.Status)
				continue
			}
			if !strings.Contains(adminText(res, "main"), who.name) {
				t.Errorf("the %q e-mail's link opens a page without the request (%s):\n%.300s", m.Tag, path, adminText(res, "main"))
			}
		}
	}
	for _, tag := range []string{"link", "submitted", "info_requested", "interview_planned", "approved", "workspace_ready", "declined"} {
		if !seen[tag] {
			t.Errorf("no %q e-mail was sent in this journey", tag)
		}
	}
}
