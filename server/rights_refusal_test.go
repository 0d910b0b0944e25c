package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"archipel/accounts"
)

func TestStaffRefuseAnErasureAndTheAssociationReadsWhy(t *testing.T) {
	app := newTestApp(t)
	assoc, id := app.reqSubmit("fr", "garde@example.org", "Les Gardés")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	reqExpect(t, assoc.post("/suivi/effacer", url.Values{"erasure_nextcloud": {"keep"}}), http.StatusSeeOther, "/suivi/effacer?notice=erasure_requested")
	reason := "Nos statuts nous obligent à garder les adhésions cinq ans.\nÉcrivez-nous pour en parler."
	refusals := func() int {
		n := 0
		for _, m := range app.mails("garde@example.org") {
			if m.Tag == "erasure_refused" {
				n++
			}
		}
		return n
	}

	t.Run("the request page says an erasure waits, and the confirmation page offers to refuse it with a reason", func(t *testing.T) {
		if res := staff.get(page); res.Doc.Find(`#erasure-pending a[href="`+page+`/effacer"]`).Length() != 1 {
			t.Error("the request page does not say an erasure request waits")
		}
		res := staff.get(page + "/effacer")
		if res.Doc.Find(`form[action="`+page+`/effacer/refuser"] textarea[name="refusal_reason"]`).Length() != 1 {
			t.Fatal("no refusal form")
		}
	})
	t.Run("staff of another host and trainers cannot refuse", func(t *testing.T) {
		for name, b := range map[string]*browser{"other host": app.staffBrowser(accounts.RoleStaff, "h-all"),
			"trainer": app.staffBrowser(accounts.RoleTrainer, "h-lyon")} {
			if res := b.post(page+"/effacer/refuser", url.Values{"refusal_reason": {reason}}); res.Status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", name, res.Status)
			}
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM rights_requests WHERE application_id = $1 AND status = 'open'`, id); n != 1 {
			t.Error("the request was answered")
		}
	})
	t.Run("a refusal without a reason comes back with a message", func(t *testing.T) {
		res := staff.post(page+"/effacer/refuser", url.Values{"refusal_reason": {"   "}})
		adminExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"refusal_reason": "rights.err.refusal_reason.required"})
	})
	t.Run("a reason too long comes back as typed", func(t *testing.T) {
		long := strings.Repeat("Trop long. ", 400)
		res := staff.post(page+"/effacer/refuser", url.Values{"refusal_reason": {long}})
		adminExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"refusal_reason": "err.too_long"})
		if got := res.Doc.Find(`textarea[name="refusal_reason"]`).Text(); got != long {
			t.Errorf("the typed reason is lost (%d characters back of %d)", len(got), len(long))
		}
	})
	t.Run("staff of its host refuse: the association is told once, with the reason", func(t *testing.T) {
		before := refusals()
		reqExpect(t, staff.post(page+"/effacer/refuser", url.Values{"refusal_reason": {reason}}), http.StatusSeeOther, page+"?notice=erasure_refused")
		if got := refusals() - before; got != 1 {
			t.Fatalf("%d refusal e-mails, want 1", got)
		}
		for _, m := range app.mails("garde@example.org") {
			if m.Tag == "erasure_refused" && !strings.Contains(m.Text, "Écrivez-nous pour en parler.") {
				t.Errorf("the e-mail does not give the reason:\n%s", m.Text)
			}
		}
		if res := staff.post(page+"/effacer/refuser", url.Values{"refusal_reason": {reason}}); res.Status != http.StatusConflict {
			t.Errorf("a second refusal: %d, want 409", res.Status)
		}
		if got := refusals() - before; got != 1 {
			t.Errorf("%d refusal e-mails after a second try, want 1", got)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM audit_log WHERE application_id = $1 AND action = 'rights_erasure_refused'`, id); n != 1 {
			t.Errorf("%d audit lines", n)
		}
	})
	t.Run("nothing is erased and the association reads the refusal and its reason", func(t *testing.T) {
		for _, path := range []string{"/suivi", "/suivi/effacer"} {
			res := assoc.get(path)
			if res.Status != http.StatusOK {
				t.Fatalf("%s: %d", path, res.Status)
			}
			if got := res.Doc.Find("blockquote.reason").Text(); got != reason {
				t.Errorf("%s: reason %q, want %q", path, got, reason)
			}
		}
		if res := assoc.get("/suivi/effacer"); res.Doc.Find(`form[action="/suivi/effacer"]`).Length() != 1 {
			t.Error("the association may not ask again")
		}
	})
	t.Run("once refused, the request page no longer says it waits", func(t *testing.T) {
		if res := staff.get(page); res.Doc.Find("#erasure-pending").Length() != 0 {
			t.Error("the refused request still shows as waiting")
		}
	})
	t.Run("the register shows the refusal and its reason", func(t *testing.T) {
		res := staff.get("/staff/rights")
		adminHasText(t, res, "table", adminT(t, "fr", "rights.register.status.refused"))
		adminHasText(t, res, "table", "Écrivez-nous pour en parler.")
	})
}
