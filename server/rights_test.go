package server_test

import (
	"net/url"
	"time"

	"archipel/templates"

	"archipel/mail"
	"archipel/onboarding"
	"encoding/json"

	"archipel/accounts"
	"net/http"
	"strings"
	"testing"

	"archipel/rights"
)

func TestPrivacyPageStatesEveryRetentionRuleInBothLanguages(t *testing.T) {
	app := newTestApp(t)
	for _, lang := range []string{"fr", "en"} {
		res := app.browser(lang).get("/confidentialite?lang=" + lang)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: status %d", lang, res.Status)
		}
		rows := res.Doc.Find("table.retention tbody tr")
		if rows.Length() != len(rights.Retention) {
			t.Errorf("%s: %d rows, want one per declared kind (%d)", lang, rows.Length(), len(rights.Retention))
		}
		for _, r := range rights.Retention {
			t.Run("the "+r.Kind+" rule in "+lang, func(t *testing.T) {
				row := res.Doc.Find(`table.retention tr[data-kind="` + r.Kind + `"]`)
				if row.Length() != 1 {
					t.Fatalf("no row for %s", r.Kind)
				}
				if got, want := strings.TrimSpace(row.Find("th").Text()), adminT(t, lang, "rights.kind."+r.Kind); got != want {
					t.Errorf("label %q, want %q", got, want)
				}
				period := adminT(t, lang, "rights.period."+string(r.Keep.Unit), "Count", r.Keep.N)
				want := adminT(t, lang, "rights.kind."+r.Kind+".keep", "Period", period)
				if got := strings.TrimSpace(row.Find("td").Text()); got != want {
					t.Errorf("period %q, want %q", got, want)
				}
			})
		}
	}
}

func TestAssociationAndItsHostsStaffExportTheRequest(t *testing.T) {
	app := newTestApp(t)
	assoc, id := app.reqSubmit("fr", "export@example.org", "Les Exportateurs")
	_, other := app.reqSubmit("fr", "autre@example.org", "Les Autres")

	t.Run("the status page links to the association's data", func(t *testing.T) {
		res := assoc.get("/suivi")
		if res.Doc.Find(`a[href="/suivi/donnees"]`).Length() != 1 {
			t.Fatal("no link to /suivi/donnees on the status page")
		}
	})
	t.Run("the association reads its data from its private link", func(t *testing.T) {
		res := assoc.get("/suivi/donnees")
		if res.Status != http.StatusOK {
			t.Fatalf("status %d", res.Status)
		}
		if !strings.Contains(res.Body, "Les Exportateurs") || strings.Contains(res.Body, "Les Autres") {
			t.Error("the page does not show its own request alone")
		}
		if res.Doc.Find(`a[href="/suivi/donnees.json"]`).Length() != 1 {
			t.Error("no JSON download link")
		}
	})
	t.Run("and downloads it as JSON", func(t *testing.T) {
		res := assoc.get("/suivi/donnees.json")
		if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("status %d, type %q", res.Status, res.Header.Get("Content-Type"))
		}
		if !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Error("not offered as a download")
		}
		var e rights.Export
		if err := json.Unmarshal([]byte(res.Body), &e); err != nil {
			t.Fatal(err)
		}
		if e.Request.ID != id || e.Format != rights.ExportFormat || e.Request.ContactEmail != "export@example.org" {
			t.Errorf("export of %s (%s, %s)", e.Request.ID, e.Format, e.Request.ContactEmail)
		}
	})
	t.Run("a browser without a link gets nothing", func(t *testing.T) {
		if res := app.browser("fr").get("/suivi/donnees.json"); res.Status != http.StatusNotFound {
			t.Errorf("status %d, want 404", res.Status)
		}
	})
	t.Run("the schema is published", func(t *testing.T) {
		res := app.browser("fr").get("/donnees/schema/v1.json")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "archipel-export") {
			t.Errorf("status %d", res.Status)
		}
	})
	for _, tc := range []struct {
		name   string
		role   accounts.Role
		host   string
		status int
	}{
		{"staff of the request's host export it from the request page", accounts.RoleStaff, "h-lyon", http.StatusOK},
		{"an administrator exports it", accounts.RoleAdmin, "", http.StatusOK},
		{"staff of another host get not found", accounts.RoleStaff, "h-all", http.StatusNotFound},
		{"a trainer of the host gets not found", accounts.RoleTrainer, "h-lyon", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := app.staffBrowser(tc.role, tc.host)
			for _, path := range []string{"/staff/requests/" + id + "/donnees", "/staff/requests/" + id + "/donnees.json"} {
				if res := b.get(path); res.Status != tc.status {
					t.Errorf("%s: status %d, want %d", path, res.Status, tc.status)
				}
			}
			if tc.status == http.StatusOK {
				if res := b.get("/staff/requests/" + id); res.Doc.Find(`a[href="/staff/requests/`+id+`/donnees"]`).Length() != 1 {
					t.Error("the request page does not link to the export")
				}
				res := b.get("/staff/requests/" + id + "/donnees")
				if strings.Contains(res.Body, other) || strings.Contains(res.Body, "Les Autres") {
					t.Error("the export mentions the other request")
				}
				if !strings.Contains(res.Doc.Find("main").Text(), "Les Exportateurs") ||
					res.Doc.Find(`a[href="/staff/requests/`+id+`/donnees.json"]`).Length() != 1 {
					t.Error("the readable page does not show the request with its JSON link")
				}
			}
		})
	}
}

func TestAssociationAsksErasureAndItsHostConfirmsIt(t *testing.T) {
	app := newTestApp(t)
	sim := app.reqConnect("h-lyon")
	assoc, id := app.reqSubmit("fr", "efface@example.org", "Les Effacés")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	res := staff.get(page + "/approve")
	form := url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"5"}, "plan_accounts": {"3"}, "plan_folders": {"Projets"}, "plan_services": {"files"}}
	reqExpect(t, staff.post(page+"/approve", form), http.StatusSeeOther, page+"?notice=approved")
	app.reqRunDue()
	if st := app.reqStatus(id); st != onboarding.StatusReady {
		t.Fatalf("status %s", st)
	}

	t.Run("the association asks from its private link, with its wish for the workspace", func(t *testing.T) {
		if len(app.mails("efface@example.org")) == 0 {
			t.Fatal("no e-mail to the contact before erasure: the outbox check below would prove nothing")
		}
		res := assoc.get("/suivi/effacer")
		if res.Status != http.StatusOK || res.Doc.Find(`input[name="erasure_nextcloud"][value="disable"]`).Length() != 1 {
			t.Fatalf("status %d, no workspace choice", res.Status)
		}
		reqExpect(t, assoc.post("/suivi/effacer", url.Values{"erasure_nextcloud": {"disable"}}), http.StatusSeeOther, "/suivi/effacer?notice=erasure_requested")
		if assoc.get("/suivi/effacer").Doc.Find("#pending").Length() != 1 {
			t.Error("the page does not say the request is pending")
		}
	})
	t.Run("the request waits in the register and on the dashboards of its host's staff and of administrators", func(t *testing.T) {
		admin := app.staffBrowser(accounts.RoleAdmin, "")
		for name, b := range map[string]*browser{"staff": staff, "admin": admin} {
			if res := b.get("/staff"); res.Doc.Find("#rights-waiting").Length() != 1 {
				t.Errorf("%s: no data-rights count on the dashboard", name)
			}
			res := b.get("/staff/rights")
			if res.Status != http.StatusOK || res.Doc.Find(`a[href="/staff/requests/`+id+`/effacer"]`).Length() != 1 {
				t.Errorf("%s: register status %d without the open erasure", name, res.Status)
			}
		}
		other := app.staffBrowser(accounts.RoleStaff, "h-all")
		if res := other.get("/staff"); res.Doc.Find("#rights-waiting").Length() != 0 {
			t.Error("another host's staff are told of it")
		}
		if res := other.get("/staff/rights"); strings.Contains(res.Body, id) {
			t.Error("another host's register shows it")
		}
		if res := app.staffBrowser(accounts.RoleTrainer, "h-lyon").get("/staff/rights"); res.Status != http.StatusForbidden {
			t.Errorf("a trainer reads the register: %d", res.Status)
		}
	})
	t.Run("staff of another host cannot see or confirm it", func(t *testing.T) {
		other := app.staffBrowser(accounts.RoleStaff, "h-all")
		if res := other.get(page + "/effacer"); res.Status != http.StatusNotFound {
			t.Errorf("page: %d", res.Status)
		}
		if res := other.post(page+"/effacer", url.Values{"erasure_nextcloud": {"keep"}}); res.Status != http.StatusNotFound {
			t.Errorf("post: %d", res.Status)
		}
	})
	t.Run("staff of its host see the wish preselected and confirm", func(t *testing.T) {
		res := staff.get(page + "/effacer")
		if v := res.Doc.Find(`input[name="erasure_nextcloud"]:checked`).AttrOr("value", ""); v != "disable" {
			t.Errorf("preselected %q, want the association's wish", v)
		}
		reqExpect(t, staff.post(page+"/effacer", url.Values{"erasure_nextcloud": {"disable"}}), http.StatusSeeOther, "/staff/requests?notice=erased")
	})
	t.Run("the workspace's account is disabled on the host", func(t *testing.T) {
		var account string
		if err := app.DB.QueryRow(`SELECT account_id FROM workspaces WHERE application_id = $1`, id).Scan(&account); err != nil {
			t.Fatal(err)
		}
		for _, u := range sim.Snapshot().Users {
			if u.ID == account && u.Enabled {
				t.Errorf("account %s still enabled", account)
			}
		}
	})
	t.Run("nothing of the association is left and its link no longer works", func(t *testing.T) {
		if n := app.reqCount(`SELECT COUNT(*) FROM applications WHERE contact_email = 'efface@example.org' OR association_name = 'Les Effacés'
			OR answers LIKE '%Effacés%' OR search_text LIKE '%efface%'`); n != 0 {
			t.Errorf("%d requests still name it", n)
		}
		paths, err := app.Outbox.List() // sends what is due: the notice of the erasure
		if err != nil {
			t.Fatal(err)
		}
		notices := 0
		for _, p := range paths {
			m, err := mail.ReadMessage(p)
			switch {
			case err != nil:
				t.Errorf("%s: %v", p, err)
			case m.To == "efface@example.org" && m.Tag == "erased":
				// The notice itself, sent after the erasure: without SMTP
				// its file is the sent e-mail.
				notices++
			case m.To == "efface@example.org":
				t.Errorf("%s: an e-mail to the erased contact is left in the outbox (%s)", p, m.Tag)
			}
		}
		if notices != 1 {
			t.Errorf("%d notices of the erasure sent, want 1", notices)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM mail_outbox WHERE to_addr = 'efface@example.org' OR subject LIKE '%Effacés%'`); n != 0 {
			t.Errorf("%d outbox rows to the erased contact", n)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM mail_outbox WHERE tag = 'erased' AND status = 'sent' AND to_addr = '' AND text_body = ''`); n != 1 {
			t.Errorf("%d sent notices without a trace of their recipient, want 1", n)
		}
		if res := assoc.get("/suivi/donnees"); res.Status != http.StatusNotFound {
			t.Errorf("export after erasure: %d", res.Status)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM rights_requests WHERE application_id = $1 AND status = 'done'`, id); n != 1 {
			t.Errorf("%d register lines answered", n)
		}
	})
	t.Run("the notice tells the association what became of its workspace", func(t *testing.T) {
		var notice *mail.Parsed
		for _, m := range app.mails("efface@example.org") {
			if m.Tag == "erased" {
				notice = &m
			}
		}
		if notice == nil {
			t.Fatal("no notice")
		}
		if want := adminT(t, "fr", "mail.erased.workspace.disable", "Host", "L'Île numérique"); !strings.Contains(notice.Text, want) {
			t.Errorf("the notice does not say the accounts are disabled:\n%s", notice.Text)
		}
	})
	t.Run("the request's page keeps only the record of the erasure", func(t *testing.T) {
		for name, b := range map[string]*browser{"staff": staff, "admin": app.staffBrowser(accounts.RoleAdmin, "")} {
			res := b.get(page)
			if res.Status != http.StatusOK || res.Doc.Find("#erased").Length() != 1 {
				t.Fatalf("%s: status %d, no record of the erasure", name, res.Status)
			}
			adminHasText(t, res, "#erased", adminT(t, "fr", "rights.erased.lead_association", "When", frDateTime(t, app, id)))
			for _, personal := range []string{"Effacés", "efface@example.org"} {
				if strings.Contains(res.Body, personal) {
					t.Errorf("%s: the page still shows %q", name, personal)
				}
			}
			if res.Doc.Find(`a[href="`+page+`/donnees"], a[href="`+page+`/effacer"]`).Length() != 0 {
				t.Errorf("%s: the page still offers the export or the erasure", name)
			}
		}
		if res := app.staffBrowser(accounts.RoleStaff, "h-all").get(page); res.Status != http.StatusNotFound {
			t.Errorf("another host's staff: %d", res.Status)
		}
		for _, path := range []string{page + "/notes", page + "/decline", page + "/assign"} {
			if res := staff.post(path, url.Values{"note_body": {"Camille, trésorière"}, "decline_reason": {"x"}, "assignee": {"me"}}); res.Status != http.StatusNotFound {
				t.Errorf("%s on the erased request: %d, want 404", path, res.Status)
			}
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM application_notes WHERE application_id = $1`, id); n != 0 {
			t.Errorf("%d notes added to the erased request", n)
		}
		// Nor does any of its forms open, for its staff or an administrator.
		admin := app.staffBrowser(accounts.RoleAdmin, "")
		for _, path := range []string{page + "/interview", page + "/approve", page + "/decline", page + "/info", page + "/transfer",
			"/staff/admin/requests/" + id + "/transfer", "/staff/admin/queue/" + id} {
			for name, b := range map[string]*browser{"staff": staff, "admin": admin} {
				if res := b.get(path); res.Status != http.StatusNotFound {
					t.Errorf("%s: GET %s of the erased request: %d, want 404", name, path, res.Status)
				}
			}
		}
		if res := admin.post("/staff/admin/requests/"+id+"/transfer", url.Values{"host": {"h-all"}, "reason": {"x"}}); res.Status != http.StatusNotFound {
			t.Errorf("transferring the erased request: %d, want 404", res.Status)
		}
		if res := staff.get("/staff/rights"); res.Doc.Find(`a[href="`+page+`"]`).Length() != 1 {
			t.Error("the register does not lead to the record")
		}
	})
}

// frDateTime is the erasure's time of request id as French pages write it.
func frDateTime(t *testing.T, app *testApp, id string) string {
	t.Helper()
	var at time.Time
	if err := app.DB.QueryRow(`SELECT answered_at FROM rights_requests WHERE application_id = $1 AND kind = 'erasure' AND status = 'done'`, id).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at.In(templates.Paris).Format("02/01/2006 à 15:04")
}

func TestStaffExportTheirDataAndAnAdministratorDeletesAnAccount(t *testing.T) {
	app := newTestApp(t)
	member, u := app.staffBrowserUser(accounts.RoleStaff, "h-lyon")
	t.Run("a staff member downloads their own data", func(t *testing.T) {
		res := member.get("/staff/account/donnees.json")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, u.Email) {
			t.Fatalf("status %d\n%s", res.Status, res.Body)
		}
	})
	t.Run("only administrators reach the deletion", func(t *testing.T) {
		if res := member.get("/staff/admin/users/" + u.ID + "/delete"); res.Status != http.StatusNotFound {
			t.Errorf("status %d", res.Status)
		}
	})
	admin, me := app.staffBrowserUser(accounts.RoleAdmin, "")
	t.Run("an administrator cannot delete themselves", func(t *testing.T) {
		if res := admin.post("/staff/admin/users/"+me.ID+"/delete", url.Values{}); res.Status != http.StatusConflict {
			t.Errorf("status %d", res.Status)
		}
	})
	t.Run("an administrator deletes the account; its sessions end, its actions keep a pseudonym", func(t *testing.T) {
		if res := admin.get("/staff/admin/users"); res.Doc.Find(`a[href="/staff/admin/users/`+u.ID+`/delete"]`).Length() != 1 {
			t.Error("no delete link on the accounts page")
		}
		if res := admin.get("/staff/admin/users/" + u.ID + "/delete"); res.Status != http.StatusOK {
			t.Fatalf("confirmation page: %d", res.Status)
		}
		reqExpect(t, admin.post("/staff/admin/users/"+u.ID+"/delete", url.Values{}), http.StatusSeeOther, "/staff/admin/users?notice=staff_deleted")
		if res := member.get("/staff"); res.Status != http.StatusSeeOther {
			t.Errorf("the deleted member's session still opens the dashboard: %d", res.Status)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM audit_log WHERE actor_email = $1 OR detail LIKE '%' || $1 || '%'`, u.Email); n != 0 {
			t.Errorf("%d audit lines still name the member", n)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'staff_deleted' AND detail = $1`, rights.Pseudonym(u.ID)); n != 1 {
			t.Error("the deletion is not in the audit log under the pseudonym")
		}
	})
}
