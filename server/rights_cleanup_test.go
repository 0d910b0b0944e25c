package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/provisioning/simulator"
)

func TestStaffDeleteTheWorkspaceWithTheErasureAndFollowItsCleanUp(t *testing.T) {
	app := newTestApp(t)
	sim := app.reqConnect("h-lyon")
	_, id := app.reqSubmit("fr", "supprime@example.org", "Les Supprimés")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	res := staff.get(page + "/approve")
	form := url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"5"}, "plan_accounts": {"3"}, "plan_folders": {"Projets"}, "plan_services": {"files"}}
	reqExpect(t, staff.post(page+"/approve", form), http.StatusSeeOther, page+"?notice=approved")
	app.reqRunDue()
	if st := app.reqStatus(id); st != onboarding.StatusReady {
		t.Fatalf("status %s", st)
	}
	var account, group string
	var folder int
	if err := app.DB.QueryRow(`SELECT account_id, group_id, folder_id FROM workspaces WHERE application_id = $1`, id).Scan(&account, &group, &folder); err != nil {
		t.Fatal(err)
	}

	t.Run("the confirmation page offers to delete and says it cannot be undone", func(t *testing.T) {
		res := staff.get(page + "/effacer")
		if res.Status != http.StatusOK || res.Doc.Find(`input[name="erasure_nextcloud"][value="delete"]`).Length() != 1 {
			t.Fatalf("status %d, no delete choice", res.Status)
		}
		adminHasText(t, res, "main", adminT(t, "fr", "rights.erasure.choice_delete"))
	})
	t.Run("choosing delete erases the request and shows the clean-up on its page", func(t *testing.T) {
		// The first deletion of an account is refused: the clean-up stops
		// and waits for staff.
		sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{{Route: "DELETE /ocs/cloud/users/{userid}", Nth: 1,
			Action: simulator.Fail, Status: http.StatusForbidden}}})
		reqExpect(t, staff.post(page+"/effacer", url.Values{"erasure_nextcloud": {"delete"}}), http.StatusSeeOther, page+"?notice=erased")
		res := staff.get(page)
		if res.Status != http.StatusOK {
			t.Fatalf("request page after erasure: %d", res.Status)
		}
		adminHasText(t, res, "#provisioning", adminT(t, "fr", "prov.cleanup.title"))
		adminHasText(t, res, "#provisioning ~ table", adminT(t, "fr", "prov.step.erase_folder"))
		app.reqRunDue()
		res = staff.get(page)
		if res.Doc.Find(`form[action="`+page+`/provisioning/retry"]`).Length() != 1 {
			t.Fatalf("no retry after the clean-up stopped: %s", adminText(res, "main"))
		}
		adminHasText(t, res, "#provisioning ~ table", adminT(t, "fr", "prov.error.forbidden"))
	})
	t.Run("the stopped clean-up is counted apart from creations, on the dashboard and in the metrics", func(t *testing.T) {
		res := staff.get("/staff")
		var state string
		if err := app.DB.QueryRow(`SELECT status FROM provisioning_jobs WHERE application_id = $1`, id).Scan(&state); err != nil {
			t.Fatal(err)
		}
		item := res.Doc.Find(`#stopped-creations ~ ul li.cleanup a[href="` + page + `#provisioning"]`)
		if got := strings.TrimSpace(item.Text()); got != adminT(t, "fr", "prov.dash.cleanup") {
			t.Errorf("dashboard item %q", got)
		}
		adminHasText(t, res, "#stopped-cleanups", adminT(t, "fr", "prov.dash.cleanups", "Count", 1))
		adminHasText(t, res, "section", adminT(t, "fr", "prov.dash.counts", "Attention", 0, "Failed", 0))
		jobs := gathered(t, app)
		if v := sample(jobs, "archipel_provisioning_jobs", map[string]string{"kind": "cleanup", "state": state}); v != 1 {
			t.Errorf("clean-ups %s = %v, want 1", state, v)
		}
		if v := sample(jobs, "archipel_provisioning_jobs", map[string]string{"kind": "provision", "state": state}); v != 0 {
			t.Errorf("creations %s = %v, want 0", state, v)
		}
	})
	t.Run("a retry finishes it: nothing of the workspace is left on the host", func(t *testing.T) {
		reqExpect(t, staff.post(page+"/provisioning/retry", nil), http.StatusSeeOther, page+"?notice=retried")
		app.reqRunDue()
		res := staff.get(page)
		adminHasText(t, res, "#provisioning ~ p .tag", adminT(t, "fr", "prov.job.succeeded"))
		st := sim.Snapshot()
		for _, u := range st.Users {
			if u.ID == account {
				t.Errorf("account %s is still on the host", account)
			}
		}
		for _, g := range st.Groups {
			if g.ID == group {
				t.Errorf("group %s is still on the host", group)
			}
		}
		for _, f := range st.GroupFolders {
			if f.ID == folder {
				t.Errorf("group folder %d is still on the host", folder)
			}
		}
		jobs := gathered(t, app)
		if v := sample(jobs, "archipel_provisioning_jobs", map[string]string{"kind": "cleanup", "state": "succeeded"}); v != 1 {
			t.Errorf("clean-ups succeeded = %v, want 1", v)
		}
		if v := sample(jobs, "archipel_provisioning_jobs", map[string]string{"kind": "provision", "state": "succeeded"}); v != 0 {
			t.Errorf("creations succeeded = %v, want 0: the job became the clean-up", v)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM workspaces WHERE application_id = $1 AND deleted_at IS NOT NULL`, id); n != 1 {
			t.Error("the workspace is not marked deleted")
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM rights_requests WHERE application_id = $1 AND nextcloud = 'delete'`, id); n != 1 {
			t.Error("the register does not record the choice")
		}
	})
}

// gathered reads the service's metrics as a scrape would.
func gathered(t *testing.T, app *testApp) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := app.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range families {
		out[f.GetName()] = f
	}
	return out
}
