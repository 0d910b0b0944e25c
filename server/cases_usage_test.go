package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/onboarding"
)

// The case page's "read usage now" reads the workspace on the host's
// Nextcloud at once, for the case's host only; a host that does not answer
// keeps the last values and the page says so.
func TestCaseUsageReadNow(t *testing.T) {
	app := newTestApp(t)
	sim := app.reqConnect("h-lyon")
	_, id := app.reqSubmit("fr", "anne@jardins.example", "Les Jardins partagés")
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	page := "/staff/requests/" + id
	res := staff.get(page + "/approve")
	reqExpect(t, staff.post(page+"/approve", url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"10"}, "plan_accounts": {"5"},
		"plan_folders": {"Administratif"}, "plan_services": {"files"}}), http.StatusSeeOther, "")
	app.reqRunDue()
	if st := app.reqStatus(id); st != onboarding.StatusReady {
		t.Fatalf("status %s", st)
	}
	if _, err := app.Training.OpenCases(context.Background()); err != nil {
		t.Fatal(err)
	}
	cs, err := app.Training.ByApplication(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	casePage := "/staff/cases/" + cs.ID
	if res := staff.get(casePage); res.Doc.Find(`form[action="`+casePage+`/usage"] button`).Length() != 1 {
		t.Fatal("no 'read usage now' button on the case page")
	}

	t.Run("staff of another host cannot read it", func(t *testing.T) {
		other := app.staffBrowser(accounts.RoleStaff, "h-all")
		if res := other.post(casePage+"/usage", nil); res.Status != http.StatusNotFound {
			t.Errorf("another host's staff = %d, want 404", res.Status)
		}
		if v, _ := app.Training.Usage(context.Background(), cs.ID); v.Current != nil || v.Failed != nil {
			t.Error("a reading was taken for another host's staff")
		}
	})

	t.Run("a reading is taken at once and shown", func(t *testing.T) {
		res := staff.post(casePage+"/usage", nil)
		reqExpect(t, res, http.StatusSeeOther, casePage+"?notice=usage_read")
		v, err := app.Training.Usage(context.Background(), cs.ID)
		if err != nil || v.Current == nil || v.Current.Accounts < 1 {
			t.Fatalf("usage after reading: %+v, %v", v, err)
		}
		page := staff.get(casePage + "?notice=usage_read")
		if !strings.Contains(page.Doc.Find(".notice").Text(), "relevé") {
			t.Errorf("no notice after reading: %q", page.Doc.Find(".notice").Text())
		}
	})

	t.Run("a host that does not answer keeps the last values", func(t *testing.T) {
		sim.SetMaintenance(true)
		res := staff.post(casePage+"/usage", nil)
		reqExpect(t, res, http.StatusSeeOther, casePage+"?notice=usage_failed")
		v, err := app.Training.Usage(context.Background(), cs.ID)
		if err != nil || v.Current == nil || v.Failed == nil {
			t.Fatalf("usage after a failed reading: %+v, %v", v, err)
		}
	})
}
