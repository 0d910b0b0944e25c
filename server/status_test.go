package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"archipel/accounts"
)

// The status page names the host and how to reach it; once the space is
// ready it says where to log in, with which account, how to choose the
// password and what comes next. Approved without an interview, the
// timeline does not claim one took place.
func TestStatusPageNamesTheHostAndHowToBegin(t *testing.T) {
	app := newTestApp(t)
	app.reqConnect("h-lyon")
	assoc, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")

	res := assoc.get("/suivi")
	reqExpect(t, res, http.StatusOK, "")
	adminHasText(t, res, "#host", "L'Île numérique")
	adminHasText(t, res, "#host", "contact@h-lyon.example")
	if res.Doc.Find("#space").Length() != 0 {
		t.Error("the login is shown before the space exists")
	}

	res = staff.get(page + "/approve")
	reqExpect(t, staff.post(page+"/approve", url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"10"}, "plan_accounts": {"5"},
		"plan_folders": {"Administratif"}, "plan_services": {"files"}}), http.StatusSeeOther, "")
	app.reqRunDue()
	if _, err := app.Training.OpenCases(context.Background()); err != nil { // as the scheduler does
		t.Fatal(err)
	}

	var login, account string
	if err := app.DB.QueryRowContext(context.Background(), `SELECT login_url, account_id FROM workspaces WHERE application_id = $1`, id).Scan(&login, &account); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "en"} {
		assoc.lang = lang
		res = assoc.get("/suivi")
		reqExpect(t, res, http.StatusOK, "")
		if res.Doc.Find(`#space a[href="`+login+`"]`).Length() != 1 {
			t.Errorf("%s: no link to %s:\n%s", lang, login, adminText(res, "#space"))
		}
		adminHasText(t, res, "#space", account)
		adminHasText(t, res, "#space", adminT(t, lang, "status.space.password_title"))
		adminHasText(t, res, "#space", adminT(t, lang, "status.space.next_title"))
		if res.Doc.Find("#space time").Length() == 0 {
			t.Errorf("%s: no check-in dates:\n%s", lang, adminText(res, "#space"))
		}
		interview := res.Doc.Find(".timeline li").Eq(1)
		if cls, _ := interview.Attr("class"); !strings.Contains(cls, "skipped") {
			t.Errorf("%s: the interview, which never took place, is %q", lang, cls)
		}
	}
}
