package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
)

// The approval form offers only the services the host's Nextcloud has, and
// the request's page shows staff the wishes the host cannot serve.
func TestTheApprovalFormOffersOnlyWhatTheHostHas(t *testing.T) {
	app := newTestApp(t)
	sim := app.reqConnect("h-lyon")
	sim.SetApp("deck", false) // no task boards; Teams (circles) stay, Talk is absent
	answers := reqAnswers("paul@chorale.example", "Chorale du Lac", "ile-numerique")
	answers["besoins"]["services"] = []string{"files", "calendars", "tasks", "video"}
	adminSubmitRequest(t, app, "fr", answers)
	id, _, _ := app.requestOf("paul@chorale.example")
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	page := "/staff/requests/" + id

	res := staff.get(page + "/approve")
	reqExpect(t, res, http.StatusOK, "")
	offered := map[string]bool{}
	checked := map[string]bool{}
	res.Doc.Find(`input[name="plan_services"]`).Each(func(_ int, s *goquery.Selection) {
		v := s.AttrOr("value", "")
		offered[v] = true
		_, on := s.Attr("checked")
		checked[v] = on
	})
	for _, s := range []string{"files", "calendars", "contacts", "teams"} {
		if !offered[s] {
			t.Errorf("the form does not offer %s, which the host has: %v", s, offered)
		}
	}
	for _, s := range []string{"tasks", "video", "office", "forms", "polls"} {
		if offered[s] {
			t.Errorf("the form offers %s, which the host does not have", s)
		}
	}
	for s, want := range map[string]bool{"files": true, "calendars": true, "teams": true, "contacts": false} {
		if checked[s] != want {
			t.Errorf("%s ticked: %v, want %v (what was asked and the host has, and a Team)", s, checked[s], want)
		}
	}
	notice := res.Doc.Find(`.notice[role="note"]`).Text()
	for _, s := range []string{"tasks", "video"} {
		if label := adminT(t, "fr", "opt.services."+s); !strings.Contains(notice, label) {
			t.Errorf("the form does not tell staff the host lacks %q: %q", label, notice)
		}
	}

	// A service the host lacks is refused, the typed plan kept.
	form := url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"7"}, "plan_accounts": {"12"},
		"plan_folders": {"Partitions"}, "plan_services": {"files", "tasks"}}
	res = staff.post(page+"/approve", form)
	reqExpect(t, res, http.StatusBadRequest, "")
	adminHasText(t, res, "main", adminT(t, "fr", "err.plan_services.unoffered"))
	if q := res.Doc.Find("#f-quota_gb").AttrOr("value", ""); q != "7" {
		t.Errorf("the typed quota was lost: %q", q)
	}
	if n := app.reqCount(`SELECT COUNT(*) FROM provisioning_jobs WHERE application_id = $1`, id); n != 0 {
		t.Fatalf("%d jobs after a refused plan", n)
	}

	// A quota that is no number and a folder named "..": each field says
	// what is wrong with it, once, and what was typed stays.
	form = url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"beaucoup"}, "plan_accounts": {"12"},
		"plan_folders": {"Partitions\n.."}, "plan_services": {"files"}}
	res = staff.post(page+"/approve", form)
	reqExpect(t, res, http.StatusBadRequest, "")
	adminHasText(t, res, "main", adminT(t, "fr", "err.number"))
	adminHasText(t, res, "main", adminT(t, "fr", "err.plan_folders.dots"))
	if strings.Contains(res.Doc.Find("main").Text(), adminT(t, "fr", "err.quota_gb.range")) {
		t.Error("a quota that is no number is also said to be out of range")
	}
	if q := res.Doc.Find("#f-quota_gb").AttrOr("value", ""); q != "beaucoup" {
		t.Errorf("the typed quota was lost: %q", q)
	}

	// The interview's page lists the wishes the host cannot serve.
	res = staff.get(page)
	unserved := res.Doc.Find("#unserved").Text()
	for _, s := range []string{"tasks", "video"} {
		if label := adminT(t, "fr", "opt.services."+s); !strings.Contains(unserved, label) {
			t.Errorf("the request's page does not show %q among the unserved wishes: %q", label, unserved)
		}
	}
	if strings.Contains(unserved, adminT(t, "fr", "opt.services.calendars")) {
		t.Errorf("calendars shown as unserved: %q", unserved)
	}

	// The host page shows what its Nextcloud offered when last read (here
	// by the approval form).
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	res = admin.get("/staff/admin/hosts/h-lyon")
	reqExpect(t, res, http.StatusOK, "")
	offer := res.Doc.Find("#host-offer").Text()
	if !strings.Contains(offer, adminT(t, "fr", "opt.services.teams")) || strings.Contains(offer, adminT(t, "fr", "opt.services.tasks")) {
		t.Errorf("the host page shows the offer %q", offer)
	}
}
