package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"archipel/accounts"
)

func TestMatchingAfterSubmission(t *testing.T) {
	t.Run("a request that lets the archipelago choose goes to an eligible host", func(t *testing.T) {
		app := newTestApp(t)
		// Lyon, files and calendars: both open hosts qualify, with the same
		// load and never given a request; the first by name gets it.
		b := adminSubmitRequest(t, app, "fr", validAnswers("anne@example.org"))
		_, host, reason := app.requestOf("anne@example.org")
		if host != "h-lyon" || !strings.Contains(loadTemplates(t).Msg("fr", reason), "dessert le 69, propose Partage de fichiers + Agendas, charge 0/20") {
			t.Errorf("host %q, reason %q", host, reason)
		}
		mails := app.mails("anne@example.org")
		if len(mails) != 2 || mails[1].Subject != adminT(t, "fr", "mail.submitted.subject", "Name", "Les Amis du Vélo") {
			t.Errorf("e-mails: %d", len(mails))
		}
		res := b.get("/suivi")
		if strings.Contains(adminText(res, "main"), adminT(t, "fr", "status.body.waiting_host")) {
			t.Error("the status page says the request waits for a host")
		}
		// The next one goes to the other host, now less loaded.
		second := validAnswers("bruno@example.org")
		second["association"].Set("legal_id", "")
		adminSubmitRequest(t, app, "fr", second)
		if _, host, _ := app.requestOf("bruno@example.org"); host != "h-all" {
			t.Errorf("second request went to %q", host)
		}
		if got := app.auditActions(); !slices.Equal(adminFilterActions(got, []string{"host_matched"}), []string{"host_matched", "host_matched"}) {
			t.Errorf("audit log %q", got)
		}
	})

	for _, lang := range []string{"fr", "en"} {
		t.Run("with no eligible host the association is told, and an administrator assigns one, in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			email := "corse-" + lang + "@example.org"
			answers := validAnswers(email)
			answers["association"].Set("postcode", "20000") // Ajaccio, 2A
			answers["besoins"]["services"] = []string{"files", "video"}
			b := adminSubmitRequest(t, app, lang, answers)
			id, host, reason := app.requestOf(email)
			if host != "" || !strings.HasPrefix(reason, `{"id":"match.reason.none_offering"`) {
				t.Fatalf("host %q, reason %q", host, reason)
			}
			mails := app.mails(email)
			if last := mails[len(mails)-1]; len(mails) != 2 || last.Subject != adminT(t, lang, "mail.waiting_host.subject", "Name", "Les Amis du Vélo") ||
				!strings.Contains(strings.Join(strings.Fields(last.Text), " "), strings.Join(strings.Fields(adminT(t, lang, "mail.waiting_host.next")), " ")) {
				t.Errorf("e-mails: %+v", mails)
			}
			res := b.get("/suivi")
			adminHasText(t, res, ".panel", adminT(t, lang, "status.body.waiting_host"))
			adminHasText(t, res, ".events", adminT(t, lang, "event.waiting_host"))

			admin := app.staffBrowser(accounts.RoleAdmin, "")
			admin.lang = lang
			adminHasText(t, admin.get("/staff/admin/hosts"), "main", adminT(t, lang, "admin.hosts.waiting", "N", 1))
			res = admin.get("/staff/admin/queue")
			adminExpect(t, res, http.StatusOK, "")
			adminHasText(t, res, "table", "Les Amis du Vélo")
			adminHasText(t, res, "table", "2A")
			adminHasText(t, res, "table", loadTemplates(t).Msg(lang, reason))
			if res.Doc.Find(`a[href="/staff/admin/queue/`+id+`"]`).Length() != 1 {
				t.Fatal("no link to assign the request")
			}
			res = admin.get("/staff/admin/queue/" + id)
			adminExpect(t, res, http.StatusOK, "")
			if res.Doc.Find(`input[name="change_host"][value="h-paused"]`).Length() != 0 {
				t.Error("a paused host is offered")
			}

			refused := url.Values{"change_host": {"h-all"}, "change_reason": {"  "}}
			res = admin.post("/staff/admin/queue/"+id, refused)
			adminExpect(t, res, http.StatusBadRequest, "")
			adminCheckErrors(t, res, lang, map[string]string{"change_reason": "err.change_reason.required"})
			adminCheckValues(t, res, refused)
			res = admin.post("/staff/admin/queue/"+id, url.Values{"change_host": {"h-paused"}, "change_reason": {"x"}})
			adminCheckErrors(t, res, lang, map[string]string{"change_host": "err.change_host.paused"})

			assign := url.Values{"change_host": {"h-all"}, "change_reason": {"Récif accepte la visio hors de son offre"}}
			adminExpect(t, admin.post("/staff/admin/queue/"+id, assign), http.StatusSeeOther, "/staff/admin/queue?notice=assigned")
			res = admin.get("/staff/admin/queue?notice=assigned")
			adminHasText(t, res, ".notice", adminT(t, lang, "admin.notice.assigned"))
			adminHasText(t, res, "main", adminT(t, lang, "admin.queue.empty"))
			if _, host, reason := app.requestOf(email); host != "h-all" || reason != assign.Get("change_reason") {
				t.Errorf("host %q, reason %q", host, reason)
			}
			mails = app.mails(email)
			if last := mails[len(mails)-1]; last.Subject != adminT(t, lang, "mail.host_assigned.subject", "Name", "Les Amis du Vélo") ||
				!strings.Contains(last.Text, "Récif solidaire") {
				t.Errorf("last e-mail %q", last.Subject)
			}
			res = b.get("/suivi")
			adminHasText(t, res, ".events", adminT(t, lang, "event.host_found"))
			if strings.Contains(adminText(res, "main"), adminT(t, lang, "status.body.waiting_host")) || strings.Contains(res.Body, "visio hors") {
				t.Error("the status page still says it waits, or shows the staff's reason")
			}
			// Assigned already: the queue page sends back to the queue.
			adminExpect(t, admin.get("/staff/admin/queue/"+id), http.StatusSeeOther, "/staff/admin/queue")

			// A transfer to another host.
			transfer := "/staff/admin/requests/" + id + "/transfer"
			res = admin.get(transfer)
			adminExpect(t, res, http.StatusOK, "")
			adminHasText(t, res, ".summary", "Récif solidaire")
			res = admin.post(transfer, url.Values{"change_host": {"h-all"}, "change_reason": {"x"}})
			adminExpect(t, res, http.StatusBadRequest, "")
			adminCheckErrors(t, res, lang, map[string]string{"change_host": "err.change_host.same"})
			res = admin.post(transfer, url.Values{"change_host": {"h-lyon"}, "change_reason": {"L'Île numérique fait la visio"}})
			adminExpect(t, res, http.StatusSeeOther, transfer+"?notice=request_transferred")
			res = admin.get(transfer + "?notice=request_transferred")
			adminHasText(t, res, ".notice", adminT(t, lang, "admin.notice.request_transferred"))
			adminHasText(t, res, ".summary", "L'Île numérique")
			if _, host, _ := app.requestOf(email); host != "h-lyon" {
				t.Errorf("host after transfer %q", host)
			}
			mails = app.mails(email)
			if last := mails[len(mails)-1]; last.Subject != adminT(t, lang, "mail.transferred.subject", "Name", "Les Amis du Vélo") ||
				!strings.Contains(last.Text, "L'Île numérique") {
				t.Errorf("last e-mail %q", last.Subject)
			}
			adminHasText(t, b.get("/suivi"), ".events", adminT(t, lang, "event.transferred"))

			// The transfer's audit line stays with the sending host, and
			// names it.
			res = admin.get("/staff/admin/audit?host=h-all")
			adminExpect(t, res, http.StatusOK, "")
			adminHasText(t, res, "table", adminT(t, lang, "audit.action.request_transferred"))
			adminHasText(t, res, "table", adminT(t, lang, "audit.transferred", "From", "Récif solidaire", "Reason", "L'Île numérique fait la visio"))
			if strings.Contains(adminText(admin.get("/staff/admin/audit?host=h-lyon"), "main"), adminT(t, lang, "audit.action.request_assigned")) {
				t.Error("the host filter shows another host's entries")
			}
			adminHasText(t, admin.get("/staff/admin/audit"), "table", adminT(t, lang, "audit.action.request_assigned"))
		})
	}

}
