package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/provisioning"
)

// The whole path: a submitted request is reviewed, annotated, interviewed
// (the association asks for another time), approved with an adjusted plan,
// provisioned on a simulated Nextcloud, then its workspace disabled.
func TestFromASubmittedRequestToAWorkspace(t *testing.T) {
	app := newTestApp(t)
	sim := app.reqConnect("h-lyon")
	assoc, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	page := "/staff/requests/" + id

	t.Run("the queue lists the request with counts per status", func(t *testing.T) {
		res := staff.get("/staff/requests")
		reqExpect(t, res, http.StatusOK, "")
		if link := res.Doc.Find(`table a[href="` + page + `"]`); link.Length() != 1 || !strings.Contains(link.Text(), "Les Amis du Vélo") {
			t.Errorf("the request is not listed:\n%s", adminText(res, "main"))
		}
		adminHasText(t, res, ".counts", adminT(t, "fr", "status.submitted")+adminT(t, "fr", "errors.separator")+" 1")
		res = staff.get("/staff/requests?filter_status=declined")
		if res.Doc.Find(`table a[href="`+page+`"]`).Length() != 0 {
			t.Error("a submitted request is listed among declined ones")
		}
		res = staff.get("/staff/requests?older_than=3")
		if res.Doc.Find(`table a[href="`+page+`"]`).Length() != 0 {
			t.Error("a request sent today is listed as older than 3 days")
		}
		res = staff.get("/staff/requests?filter_services=files&filter_services=calendars")
		if res.Doc.Find(`table a[href="`+page+`"]`).Length() != 1 {
			t.Error("the request is not listed among those wanting files and calendars")
		}
	})

	t.Run("the request's page shows every answer with the flow's labels", func(t *testing.T) {
		res := staff.get(page)
		reqExpect(t, res, http.StatusOK, "")
		for _, want := range []string{adminT(t, "fr", "label.purpose"), "Promouvoir le vélo en ville", adminT(t, "fr", "opt.tools.whatsapp"),
			adminT(t, "fr", "opt.services.calendars"), "Anne Martin", adminT(t, "fr", "event.submitted")} {
			adminHasText(t, res, "main", want)
		}
	})

	t.Run("a note is kept with its author and time", func(t *testing.T) {
		res := staff.post(page+"/notes", url.Values{"note_body": {"Appelée le 3 mars, très motivée."}})
		reqExpect(t, res, http.StatusSeeOther, page+"?notice=note_added")
		res = staff.get(page)
		adminHasText(t, res, "#notes ~ ul", "Appelée le 3 mars, très motivée.")
		adminHasText(t, res, "#notes ~ ul", "Camille staff")
		res = staff.post(page+"/notes", url.Values{"note_body": {"  "}})
		reqExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"note_body": "err.note_body.required"})
	})

	date, clock, start := reqSlot(7)
	var uid string
	t.Run("the interview is planned and the association invited with an .ics", func(t *testing.T) {
		res := staff.get(page + "/interview")
		reqExpect(t, res, http.StatusOK, "")
		form := url.Values{"version": {reqVersion(t, res)}, "interview_date": {date}, "interview_time": {clock},
			"interview_duration": {"45"}, "interview_mode": {"video"}, "interview_link": {"https://visio.ile.example/amis-velo"}}
		reqExpect(t, staff.post(page+"/interview", form), http.StatusSeeOther, page+"?notice=interview_planned")
		if st := app.reqStatus(id); st != onboarding.StatusInterviewPlanned {
			t.Fatalf("status %s", st)
		}
		mails := app.reqMailsTagged("anne@velo.example", "interview_planned")
		if len(mails) != 1 {
			t.Fatalf("%d invitations", len(mails))
		}
		ics := reqICS(t, mails[0])
		uid = ics["UID"]
		want := map[string]string{
			"BEGIN:VCALENDAR": "yes", "BEGIN:VEVENT": "yes", "END:VEVENT": "yes", "END:VCALENDAR": "yes", "METHOD": "REQUEST",
			"SEQUENCE": "0", "DTSTART": start.UTC().Format("20060102T150405Z"),
			"DTEND": start.Add(45 * time.Minute).UTC().Format("20060102T150405Z"),
			"URL":   "https://visio.ile.example/amis-velo", "ORGANIZER": "mailto:contact@h-lyon.example",
			"ATTENDEE": "mailto:anne@velo.example",
		}
		for k, v := range want {
			if ics[k] != v {
				t.Errorf("%s = %q, want %q", k, ics[k], v)
			}
		}
		if !strings.HasSuffix(uid, "@127.0.0.1") || !strings.Contains(ics["SUMMARY"], "L'Île numérique") {
			t.Errorf("UID %q, SUMMARY %q", uid, ics["SUMMARY"])
		}
		if !strings.Contains(mails[0].Text, "https://visio.ile.example/amis-velo") {
			t.Errorf("the e-mail does not give the link:\n%s", mails[0].Text)
		}
	})

	t.Run("the association sees its interview and asks for another time", func(t *testing.T) {
		res := assoc.get("/suivi")
		reqExpect(t, res, http.StatusOK, "")
		adminHasText(t, res, "#interview", adminT(t, "fr", "req.status.interview_title"))
		adminHasText(t, res, "#interview", "https://visio.ile.example/amis-velo")
		res = assoc.post("/suivi/entretien", url.Values{"reschedule_message": {""}})
		reqExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"reschedule_message": "err.reschedule_message.required"})
		res = assoc.post("/suivi/entretien", url.Values{"reschedule_message": {"Plutôt le soir, après 18 h."}})
		reqExpect(t, res, http.StatusSeeOther, "/suivi?notice=reschedule_requested")
		mails := app.reqMailsTagged("contact@h-lyon.example", "reschedule_requested")
		if len(mails) != 1 || !strings.Contains(mails[0].Text, "Plutôt le soir, après 18 h.") || !strings.Contains(mails[0].Text, page) {
			t.Fatalf("host contact mails: %+v", mails)
		}
		res = assoc.get("/suivi")
		adminHasText(t, res, "#interview", adminT(t, "fr", "req.status.reschedule_sent"))
		adminHasText(t, res, ".events", adminT(t, "fr", "event.reschedule_requested"))
		adminHasText(t, staff.get(page+"/interview"), "main", "Plutôt le soir, après 18 h.")
	})

	t.Run("moving the interview sends the same UID with a higher sequence", func(t *testing.T) {
		res := staff.get(page + "/interview")
		date2, _, start2 := reqSlot(8)
		form := url.Values{"version": {reqVersion(t, res)}, "interview_date": {date2}, "interview_time": {"14:30"},
			"interview_duration": {"60"}, "interview_mode": {"in_person"}, "interview_place": {"12 rue de la République, Lyon"}}
		reqExpect(t, staff.post(page+"/interview", form), http.StatusSeeOther, page+"?notice=interview_planned")
		mails := app.reqMailsTagged("anne@velo.example", "interview_planned")
		if len(mails) != 2 {
			t.Fatalf("%d invitations", len(mails))
		}
		ics := reqICS(t, mails[1])
		if ics["UID"] != uid || ics["SEQUENCE"] != "1" || ics["DTSTART"] != start2.UTC().Format("20060102T150405Z") ||
			ics["LOCATION"] != `12 rue de la République\, Lyon` {
			t.Errorf("moved invitation: %v", ics)
		}
		adminHasText(t, assoc.get("/suivi"), "#interview", "12 rue de la République, Lyon")
	})

	t.Run("the interview guide keeps notes per section", func(t *testing.T) {
		form := url.Values{"guide_activity": {"Atelier de réparation, 40 membres"}, "guide_data": {"5 Go sur Google Drive"}}
		reqExpect(t, staff.post(page+"/interview/guide", form), http.StatusSeeOther, page+"/interview?notice=notes_saved")
		res := staff.get(page + "/interview")
		if got := res.Doc.Find("#f-guide_activity").Text(); got != "Atelier de réparation, 40 membres" {
			t.Errorf("guide notes: %q", got)
		}
		adminHasText(t, staff.get(page), "#interview ~ dl", "5 Go sur Google Drive")
	})

	t.Run("approving with an adjusted plan queues one job and tells the association", func(t *testing.T) {
		res := staff.get(page + "/approve")
		reqExpect(t, res, http.StatusOK, "")
		if q := res.Doc.Find("#f-quota_gb").AttrOr("value", ""); q != "20" {
			t.Errorf("quota prefilled with %q, want what the association asked (20)", q)
		}
		if f := res.Doc.Find("#f-plan_folders").Text(); !strings.Contains(f, "Comptabilité") {
			t.Errorf("folders prefilled with %q", f)
		}
		form := url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"25"}, "plan_accounts": {"12"},
			"plan_folders": {"Administratif\nProjets"}, "plan_services": {"files", "calendars"}}
		reqExpect(t, staff.post(page+"/approve", form), http.StatusSeeOther, page+"?notice=approved")
		if n := app.reqCount(`SELECT COUNT(*) FROM provisioning_jobs WHERE application_id = $1`, id); n != 1 {
			t.Fatalf("%d jobs", n)
		}
		if len(app.reqMailsTagged("anne@velo.example", "approved")) != 1 {
			t.Error("no approval e-mail")
		}
	})

	t.Run("the workspace is provisioned and its progress shown in plain words", func(t *testing.T) {
		app.reqRunDue()
		if st := app.reqStatus(id); st != onboarding.StatusReady {
			t.Fatalf("status %s\n%s", st, app.Logs.String())
		}
		res := staff.get(page)
		rows := res.Doc.Find("#provisioning ~ table").First().Find("tbody tr")
		if rows.Length() != len(provisioning.StepNames) {
			t.Fatalf("%d steps shown", rows.Length())
		}
		adminHasText(t, res, "#provisioning ~ table", adminT(t, "fr", "prov.step.documents"))
		rows.Each(func(_ int, row *goquery.Selection) {
			if state := strings.TrimSpace(row.Find("td").Eq(1).Text()); state != adminT(t, "fr", "prov.state.done") {
				t.Errorf("step %q is %q", strings.TrimSpace(row.Find("td").First().Text()), state)
			}
		})
		state := sim.Snapshot()
		var found bool
		for _, f := range state.GroupFolders {
			found = found || f.Quota == 25<<30
		}
		if !found {
			t.Errorf("no group folder of 25 GB: %+v", state.GroupFolders)
		}
		if len(app.reqMailsTagged("anne@velo.example", "workspace_ready")) != 1 {
			t.Error("no workspace_ready e-mail")
		}
	})

	t.Run("disabling the workspace disables the account and keeps the data", func(t *testing.T) {
		res := staff.get(page)
		if res.Doc.Find(`form[action="`+page+`/workspace/disable"]`).Length() != 1 {
			t.Fatal("no button to disable the workspace")
		}
		var account string
		if err := app.DB.QueryRowContext(context.Background(), `SELECT account_id FROM workspaces WHERE application_id = $1`, id).Scan(&account); err != nil {
			t.Fatal(err)
		}
		adminHasText(t, res, "#workspace ~ dl", account)
		reqExpect(t, staff.post(page+"/workspace/disable", nil), http.StatusSeeOther, page+"?notice=disabled")
		var enabled, exists bool
		for _, u := range sim.Snapshot().Users {
			if u.ID == account {
				exists, enabled = true, u.Enabled
			}
		}
		if !exists || enabled {
			t.Errorf("account %q exists %t, enabled %t", account, exists, enabled)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM workspaces WHERE application_id = $1 AND disabled_at IS NOT NULL`, id); n != 1 {
			t.Error("disabled_at not set")
		}
		res = staff.post(page+"/workspace/disable", nil)
		reqExpect(t, res, http.StatusConflict, "")
		adminHasText(t, res, ".error-summary", adminT(t, "fr", "prov.error.already_disabled"))
		if len(app.reqMailsTagged("anne@velo.example", "workspace_disabled")) != 1 {
			t.Error("no workspace_disabled e-mail")
		}
	})

	t.Run("every staff action is in the audit log, shown on the request's page", func(t *testing.T) {
		got := app.auditActions()
		for _, want := range []string{"note_added", "interview_planned", "interview_moved", "interview_notes_saved", "approved", "workspace_disabled"} {
			if !slices.Contains(got, want) {
				t.Errorf("audit log %q lacks %s", got, want)
			}
		}
		res := staff.get(page)
		adminHasText(t, res, "main", adminT(t, "fr", "req.audit.workspace_disabled"))
		adminHasText(t, res, "main", adminT(t, "fr", "req.show.internal"))
	})
}

// Two staff approving at once, and a double click: one decision, one job;
// the others are told the request was decided already.
func TestConcurrentApprovalsMakeOneJob(t *testing.T) {
	app := newTestApp(t)
	_, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	alice := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	form := func(b *browser) url.Values {
		res := b.get(page + "/approve")
		reqExpect(t, res, http.StatusOK, "")
		return url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"20"}, "plan_accounts": {"10"}, "plan_folders": {"Projets"}}
	}
	forms := []url.Values{form(alice), form(admin)}
	var wg sync.WaitGroup
	results := make([]*response, 2)
	for i, b := range []*browser{alice, admin} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.post(page+"/approve", forms[i])
		}()
	}
	wg.Wait()
	var won, lost int
	for _, res := range results {
		switch res.Status {
		case http.StatusSeeOther:
			won++
		case http.StatusConflict:
			lost++
			adminHasText(t, res, ".error-summary", adminT(t, "fr", "err.review.already_decided"))
			adminCheckValues(t, res, url.Values{"quota_gb": {"20"}, "plan_accounts": {"10"}})
		default:
			t.Errorf("status %d:\n%s", res.Status, adminText(res, "main"))
		}
	}
	if won != 1 || lost != 1 {
		t.Errorf("%d won, %d lost", won, lost)
	}
	if n := app.reqCount(`SELECT COUNT(*) FROM provisioning_jobs WHERE application_id = $1`, id); n != 1 {
		t.Errorf("%d jobs", n)
	}
	if n := app.reqCount(`SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND kind = 'approved'`, id); n != 1 {
		t.Errorf("%d approvals in the timeline", n)
	}
	t.Run("a double click gets the same answer and no second job", func(t *testing.T) {
		res := alice.post(page+"/approve", forms[0])
		reqExpect(t, res, http.StatusConflict, "")
		adminHasText(t, res, ".error-summary", adminT(t, "fr", "err.review.already_decided"))
		if n := app.reqCount(`SELECT COUNT(*) FROM provisioning_jobs`); n != 1 {
			t.Errorf("%d jobs", n)
		}
	})
	if got := app.auditActions(); !slices.Equal(got[len(got)-1:], []string{"approved"}) || slices.Index(got, "approved") != len(got)-1 {
		t.Errorf("audit %q: want one approval", got)
	}
}

// A decision posted from a page shown before the request changed is
// refused, keeping what was typed.
func TestAStaleDecisionIsRefused(t *testing.T) {
	app := newTestApp(t)
	_, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	res := staff.get(page + "/decline")
	stale := reqVersion(t, res)
	// Meanwhile a colleague plans the interview.
	date, clock, _ := reqSlot(5)
	reqExpect(t, staff.post(page+"/interview", url.Values{"version": {stale}, "interview_date": {date}, "interview_time": {clock},
		"interview_duration": {"60"}, "interview_mode": {"phone"}}), http.StatusSeeOther, "")
	form := url.Values{"version": {stale}, "template": {""}, "decline_reason": {"Nous sommes complets."}}
	res = staff.post(page+"/decline", form)
	reqExpect(t, res, http.StatusConflict, "")
	adminHasText(t, res, ".error-summary", adminT(t, "fr", "err.review.stale"))
	adminCheckValues(t, res, url.Values{"decline_reason": form["decline_reason"]})
	if st := app.reqStatus(id); st != onboarding.StatusInterviewPlanned {
		t.Errorf("status %s", st)
	}
	if v := reqVersion(t, res); v == stale {
		t.Error("the refused form still carries the stale version")
	}
}

// Wrong dates and times come back with a message next to the field and
// everything typed kept.
func TestAnInvalidInterviewIsKeptInTheForm(t *testing.T) {
	app := newTestApp(t)
	_, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	version := reqVersion(t, staff.get(page+"/interview"))
	tests := []struct {
		name   string
		form   url.Values
		errors map[string]string
	}{
		{"a date that does not exist and a time past 24:00", url.Values{"interview_date": {"31/02/2030"}, "interview_time": {"25:61"},
			"interview_duration": {"60"}, "interview_mode": {"phone"}},
			map[string]string{"interview_date": "err.interview_date.invalid", "interview_time": "err.interview_time.invalid"}},
		{"a date in the past", url.Values{"interview_date": {"02/01/2020"}, "interview_time": {"10:00"},
			"interview_duration": {"60"}, "interview_mode": {"in_person"}, "interview_place": {"Lyon"}},
			map[string]string{"interview_date": "err.interview_date.past"}},
		{"a video call without link, too short", url.Values{"interview_date": {"10/03/2099"}, "interview_time": {"10:00"},
			"interview_duration": {"5"}, "interview_mode": {"video"}, "interview_link": {""}},
			map[string]string{"interview_date": "err.interview_date.far", "interview_duration": "err.interview_duration.range",
				"interview_link": "err.interview_link.required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"version": {version}}
			for k, v := range tt.form {
				form[k] = v
			}
			res := staff.post(page+"/interview", form)
			reqExpect(t, res, http.StatusBadRequest, "")
			adminCheckErrors(t, res, "fr", tt.errors)
			adminCheckValues(t, res, tt.form)
		})
	}
	if st := app.reqStatus(id); st != onboarding.StatusSubmitted {
		t.Errorf("status %s after refused forms", st)
	}
	if n := len(app.reqMailsTagged("anne@velo.example", "interview_planned")); n != 0 {
		t.Errorf("%d invitations sent", n)
	}
}

// A decline is written from a template in the association's language and
// e-mailed in that language, whatever the staff's.
func TestDeclineIsMailedInTheAssociationsLanguage(t *testing.T) {
	app := newTestApp(t)
	_, id := app.reqSubmit("en", "ann@bikes.example", "Friends of Bikes")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon") // a French-speaking browser

	t.Run("host templates are written on their own page, in each language", func(t *testing.T) {
		res := staff.post("/staff/decline-templates", url.Values{"template_name": {""}, "template_language": {"en"}, "template_body": {"We are full."}})
		reqExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"template_name": "err.template_name.required"})
		adminCheckValues(t, res, url.Values{"template_language": {"en"}, "template_body": {"We are full."}})
		for _, tpl := range []url.Values{
			{"template_name": {"Complet"}, "template_language": {"fr"}, "template_body": {"Nous sommes complets."}},
			{"template_name": {"Full"}, "template_language": {"en"}, "template_body": {"Sorry, we are full until September."}},
		} {
			reqExpect(t, staff.post("/staff/decline-templates", tpl), http.StatusSeeOther, "/staff/decline-templates")
		}
		adminHasText(t, staff.get("/staff/decline-templates"), "table", "Sorry, we are full until September.")
	})

	var tplID string
	t.Run("only templates in the association's language are offered", func(t *testing.T) {
		res := staff.get(page + "/decline")
		reqExpect(t, res, http.StatusOK, "")
		opts := adminText(res, "#f-template")
		if !strings.Contains(opts, "Full") || strings.Contains(opts, "Complet") {
			t.Errorf("templates offered: %q", opts)
		}
		tplID = res.Doc.Find(`#f-template option:contains("Full")`).AttrOr("value", "")
		res = staff.get(page + "/decline?template=" + tplID)
		if got := res.Doc.Find("#f-decline_reason").Text(); got != "Sorry, we are full until September." {
			t.Errorf("reason prefilled with %q", got)
		}
		res = staff.get(page + "/decline?template=builtin-capacity")
		if got := res.Doc.Find("#f-decline_reason").Text(); !strings.Contains(got, "Friends of Bikes") || !strings.Contains(got, "Thank you") {
			t.Errorf("built-in reason not in English: %q", got)
		}
	})

	t.Run("the decline is sent in English", func(t *testing.T) {
		res := staff.get(page + "/decline?template=" + tplID)
		form := url.Values{"version": {reqVersion(t, res)}, "template": {tplID}, "decline_reason": {"Sorry, we are full until September. Try again in the autumn."}}
		reqExpect(t, staff.post(page+"/decline", form), http.StatusSeeOther, page+"?notice=declined")
		mails := app.reqMailsTagged("ann@bikes.example", "declined")
		if len(mails) != 1 {
			t.Fatalf("%d decline e-mails", len(mails))
		}
		m := mails[0]
		if want := adminT(t, "en", "mail.declined.subject", "Name", "Friends of Bikes"); m.Subject != want {
			t.Errorf("subject %q, want %q", m.Subject, want)
		}
		if !strings.Contains(m.Text, "Try again in the autumn.") || !strings.Contains(m.Text, adminT(t, "en", "mail.declined.again")) {
			t.Errorf("text:\n%s", m.Text)
		}
		if st := app.reqStatus(id); st != onboarding.StatusDeclined {
			t.Errorf("status %s", st)
		}
		if !slices.Contains(app.auditActions(), "declined") {
			t.Error("the decline is not audited")
		}
	})
}

// Asking for more information reopens steps; the association edits them
// through the private link and sends the request again.
func TestInfoRequestThenResubmission(t *testing.T) {
	app := newTestApp(t)
	_, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")

	res := staff.get(page + "/info")
	version := reqVersion(t, res)
	res = staff.post(page+"/info", url.Values{"version": {version}, "info_message": {""}})
	reqExpect(t, res, http.StatusBadRequest, "")
	adminCheckErrors(t, res, "fr", map[string]string{"info_steps": "err.info_steps.required", "info_message": "err.info_message.required"})
	form := url.Values{"version": {version}, "info_steps": {"membres", "besoins"}, "info_message": {"Combien de bénévoles utiliseront l'espace ?"}}
	reqExpect(t, staff.post(page+"/info", form), http.StatusSeeOther, page+"?notice=info_requested")
	adminHasText(t, staff.get(page), "main", adminT(t, "fr", "step.membres.title"))

	mails := app.reqMailsTagged("anne@velo.example", "info_requested")
	if len(mails) != 1 || !strings.Contains(mails[0].Text, "Combien de bénévoles") {
		t.Fatalf("info e-mails: %+v", mails)
	}
	link := linkRe.FindString(mails[0].Text)
	if link == "" {
		t.Fatalf("no private link in:\n%s", mails[0].Text)
	}

	// On another device, from the e-mail.
	assoc := app.browser("fr")
	reqExpect(t, assoc.get(link), http.StatusSeeOther, "")
	res = assoc.get("/suivi")
	adminHasText(t, res, "#info", "Combien de bénévoles utiliseront l'espace ?")
	if res.Doc.Find(`#info a[href="/demande/membres?retour=recapitulatif"]`).Length() != 1 {
		t.Errorf("the reopened step is not linked:\n%s", adminText(res, "#info"))
	}
	answers := reqAnswers("anne@velo.example", "Les Amis du Vélo", "ile-numerique")
	answers["membres"].Set("volunteers", "25")
	answers["membres"].Set("retour", "recapitulatif")
	reqExpect(t, assoc.post("/demande/membres", answers["membres"]), http.StatusSeeOther, "/demande/recapitulatif")
	reqExpect(t, assoc.post("/demande/recapitulatif", answers["recapitulatif"]), http.StatusSeeOther, "/suivi?notice=submitted")

	if st := app.reqStatus(id); st != onboarding.StatusSubmitted {
		t.Fatalf("status %s after resubmission", st)
	}
	res = staff.get(page)
	adminHasText(t, res, "main", "25")
	if res.Doc.Find(`a[href="`+page+`/approve"]`).Length() != 1 {
		t.Error("the resubmitted request cannot be approved")
	}
}

// A provisioning that fails is explained in plain words; staff cancel it,
// fix the host and retry.
func TestProvisioningRetryAndCancel(t *testing.T) {
	app := newTestApp(t)
	_, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")

	res := staff.post(page+"/provisioning/retry", nil)
	reqExpect(t, res, http.StatusConflict, "")
	adminHasText(t, res, ".error-summary", adminT(t, "fr", "err.review.no_job"))

	res = staff.get(page + "/approve")
	reqExpect(t, staff.post(page+"/approve", url.Values{"version": {reqVersion(t, res)}, "quota_gb": {"20"}, "plan_accounts": {"10"},
		"plan_folders": {"Projets"}}), http.StatusSeeOther, "")
	// The host is not connected yet: the job stops at once.
	app.reqRunDue()
	res = staff.get(page)
	adminHasText(t, res, "#provisioning ~ p", adminT(t, "fr", "prov.job.failed"))
	adminHasText(t, res, "#provisioning ~ table", adminT(t, "fr", "prov.error.not_connected"))

	res = staff.post(page+"/provisioning/cancel", nil)
	reqExpect(t, res, http.StatusSeeOther, page+"?notice=cancelled")
	adminHasText(t, staff.get(page), "#provisioning ~ p", adminT(t, "fr", "prov.job.cancelled"))
	res = staff.post(page+"/provisioning/cancel", nil)
	reqExpect(t, res, http.StatusConflict, "")
	adminHasText(t, res, ".error-summary", adminT(t, "fr", "prov.error.not_cancellable"))

	app.reqConnect("h-lyon")
	reqExpect(t, staff.post(page+"/provisioning/retry", nil), http.StatusSeeOther, page+"?notice=retried")
	app.reqRunDue()
	if st := app.reqStatus(id); st != onboarding.StatusReady {
		t.Fatalf("status %s after retry\n%s", st, app.Logs.String())
	}
	res = staff.get(page)
	adminHasText(t, res, "#provisioning ~ p", adminT(t, "fr", "prov.job.succeeded"))
	if res.Doc.Find(`form[action="`+page+`/provisioning/retry"]`).Length() != 0 {
		t.Error("a finished provisioning offers a retry")
	}
	reqExpect(t, staff.post(page+"/provisioning/retry", nil), http.StatusConflict, "")
	got := app.auditActions()
	for _, want := range []string{"approved", "provisioning_cancelled", "provisioning_retried"} {
		if !slices.Contains(got, want) {
			t.Errorf("audit %q lacks %s", got, want)
		}
	}
}

// Trainers read requests and keep notes; deciding is for staff.
func TestTrainersReadAndAnnotateOnly(t *testing.T) {
	app := newTestApp(t)
	_, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	trainer := app.staffBrowser(accounts.RoleTrainer, "h-lyon")
	res := trainer.get(page)
	reqExpect(t, res, http.StatusOK, "")
	if res.Doc.Find(`a[href="`+page+`/approve"]`).Length() != 0 {
		t.Error("a trainer is offered to approve")
	}
	reqExpect(t, trainer.post(page+"/notes", url.Values{"note_body": {"Formation agenda à prévoir."}}), http.StatusSeeOther, "")
	reqExpect(t, trainer.get(page+"/approve"), http.StatusNotFound, "")
	reqExpect(t, trainer.post(page+"/approve", url.Values{"quota_gb": {"20"}}), http.StatusNotFound, "")
	if n := app.reqCount(`SELECT COUNT(*) FROM provisioning_jobs`); n != 0 {
		t.Errorf("%d jobs", n)
	}
}
