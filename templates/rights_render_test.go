package templates_test

import (
	"strings"
	"testing"
	"time"

	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/rights"
	"archipel/server"
	"archipel/templates"
)

// rightsRenderCases are the data-rights pages added for refusals and
// erased requests, in the states they show.
func rightsRenderCases() []renderCase {
	asked := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	answered := asked.AddDate(0, 0, 12)
	refused := &rights.ErasureRequest{ID: "e1", ApplicationID: "r1", RequestedBy: "association", RequestedAt: asked, Status: rights.StatusRefused,
		AnsweredAt: answered, Reason: "Nos statuts nous obligent à garder les adhésions.\nParlons-en."}
	pending := &rights.ErasureRequest{ID: "e2", ApplicationID: "r1", RequestedBy: "association", RequestedAt: asked, Status: rights.StatusOpen, Nextcloud: rights.NextcloudKeep}
	job := &provisioning.Job{ID: "j1", ApplicationID: "r1", Kind: provisioning.KindCleanup, Status: provisioning.JobNeedsAttention,
		ErrorKey: "prov.error.forbidden", FinishedAt: answered, Steps: []provisioning.StepState{{Name: "erase_folder", Status: "failed", ErrorKey: "prov.error.forbidden"}}}
	byAssociation := &rights.ErasedRecord{ApplicationID: "r1", ByAssociation: true, RequestedBy: "association", RequestedAt: asked,
		AnsweredBy: "Camille", AnsweredAt: answered, Nextcloud: rights.NextcloudDelete}
	byStaff := &rights.ErasedRecord{ApplicationID: "r1", RequestedBy: "Camille", RequestedAt: answered, AnsweredBy: "Camille", AnsweredAt: answered,
		Nextcloud: rights.NextcloudKeep}
	sp := &server.StatusPage{App: renderApp(onboarding.StatusReady), Erasure: &rights.ErasureState{Status: "ready", Refused: refused}}
	waiting := reqRequestPage(onboarding.StatusReady, true)
	waiting.ErasurePending = pending
	return []renderCase{
		{"a request whose erasure waits for an answer", "requests_show", server.Page{Path: "/staff/requests/a1", Title: "req.show.title", User: renderStaff, Data: waiting}},
		{"the erasure request page after a refusal", "erasure_ask", server.Page{Path: "/suivi/effacer", Title: "rights.erasure.title",
			Data: &server.ErasurePage{State: &rights.ErasureState{Status: "ready", Refused: refused}, Name: "Les Amis du Vélo", AppID: "r1",
				Choices: []string{"keep"}, Choice: "keep"}}},
		{"the erasure confirmation with a refusal missing its reason", "erasure_confirm", server.Page{Path: "/staff/requests/r1/effacer",
			Title: "rights.erasure.confirm_title", Errors: onboarding.FieldErrors{{Field: "refusal_reason", Key: "rights.err.refusal_reason.required"}},
			Data: &server.ErasurePage{State: &rights.ErasureState{Status: "ready", Pending: pending}, Name: "Les Amis du Vélo", AppID: "r1",
				Choices: []string{"keep"}, Choice: "keep", Now: answered, Reason: "  "}}},
		{"the status page after a refused erasure", "status", server.Page{Path: "/suivi", Title: "status.title", Data: sp}},
		{"an erased request asked by the association, its workspace being deleted", "request_erased", server.Page{Path: "/staff/requests/r1",
			Title: "rights.erased.title", User: renderStaff, Data: &server.ErasedPage{Record: byAssociation,
				Request: &server.RequestPage{App: &onboarding.Application{ID: "r1"}, Job: job, CanDecide: true}}}},
		{"a dashboard with a stopped creation and a stopped clean-up", "staff_home", server.Page{Path: "/staff", Title: "staff.home.title", User: renderStaff,
			Data: server.StoppedCreations{NeedsAttention: 1, Cleanups: 1, Jobs: []provisioning.Stopped{
				{JobID: "j0", ApplicationID: "r0", Association: "Les Amis du Vélo", HostName: "Récif", Status: provisioning.JobNeedsAttention, Kind: provisioning.KindProvision, Since: asked},
				{JobID: "j1", ApplicationID: "r1", HostName: "Récif", Status: provisioning.JobNeedsAttention, Kind: provisioning.KindCleanup, ErrorKey: "prov.error.forbidden", Since: answered}}}}},
		{"an erased request recorded by staff", "request_erased", server.Page{Path: "/staff/requests/r1", Title: "rights.erased.title",
			User: renderStaff, Data: &server.ErasedPage{Record: byStaff, Request: &server.RequestPage{App: &onboarding.Application{ID: "r1"}}}}},
	}
}

func TestDataRightsMailsRenderInBothLanguages(t *testing.T) {
	s := loadSet(t)
	at := time.Date(2026, 11, 21, 10, 15, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		data map[string]any
		want []string
	}{
		{"erased", map[string]any{"Name": "Les Amis du Vélo", "Host": "Récif", "At": at, "Workspace": true, "Nextcloud": "delete"}, []string{"Récif", "21"}},
		{"erased", map[string]any{"Name": "Les Amis du Vélo", "Host": "Récif", "At": at, "Workspace": false, "Nextcloud": "keep"}, []string{"21"}},
		{"erasure_refused", map[string]any{"Name": "Les Amis du Vélo", "Host": "Récif", "AskedAt": at, "Reason": "Obligation légale"},
			[]string{"Obligation légale", "21"}},
	} {
		for _, lang := range templates.Languages {
			t.Run("the "+tc.name+" mail in "+lang, func(t *testing.T) {
				subject, text, html, err := s.Mail(lang, tc.name, tc.data)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(subject, "Les Amis du Vélo") || strings.Contains(subject, "\n") {
					t.Errorf("subject %q", subject)
				}
				for _, w := range tc.want {
					if !strings.Contains(text, w) || !strings.Contains(html, w) {
						t.Errorf("%q missing:\n%s\n%s", w, text, html)
					}
				}
				if ws := s.MustT(lang, "mail.erased.workspace.keep", "Host", "Récif"); tc.data["Workspace"] == false && strings.Contains(text, ws) {
					t.Error("a request without workspace is told about its workspace")
				}
			})
		}
	}
}
