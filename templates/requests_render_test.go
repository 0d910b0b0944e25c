package templates_test

import (
	"strings"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/server"
	"archipel/templates"
)

// reqTrainer is a host's trainer: they read requests and keep notes.
var reqTrainer = &accounts.User{ID: "u3", Email: "trainer@ile.example", Role: accounts.RoleTrainer, HostID: "h1", Active: true}

// reqAt is when the requests of these pages happen.
var reqAt = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// reqErrors puts an error on each field.
func reqErrors(fields ...string) onboarding.FieldErrors {
	return allErrors(fields)
}

// reqHost is the host the requests of these pages went to.
func reqHost() *provisioning.Host {
	return &provisioning.Host{ID: "h1", Slug: "ile-numerique", Name: "L'Île numérique", ContactEmail: "contact@ile.example",
		NextcloudURL: "https://cloud.ile.example", FolderTemplate: provisioning.DefaultFolderTemplate, DefaultQuotaGB: 10, DefaultAccount: 10}
}

// reqInterview is an interview in each state the pages show.
func reqInterview(mode, status string) *onboarding.Interview {
	iv := &onboarding.Interview{ID: "i1", ApplicationID: "a1", Start: reqAt.Add(72 * time.Hour), Duration: time.Hour, Mode: mode,
		Status: status, Sequence: 1, CreatedBy: "staff@ile.example", CreatedAt: reqAt, UpdatedAt: reqAt,
		Notes: onboarding.GuideNotes{"activity": "Atelier vélo, 40 membres", "data": "5 Go sur Google Drive"}}
	switch mode {
	case onboarding.ModeVideo:
		iv.Link = "https://visio.ile.example/amis-velo"
	case onboarding.ModeInPerson:
		iv.Place = "12 rue de la République, Lyon"
	}
	return iv
}

// reqJob is a provisioning stopped at its account step.
func reqJob() *provisioning.Job {
	j := &provisioning.Job{ID: "j1", ApplicationID: "a1", HostID: "h1", Status: provisioning.JobFailed,
		ErrorKey: "prov.error.unauthorized", CreatedAt: reqAt, UpdatedAt: reqAt}
	for i, name := range provisioning.StepNames {
		st := provisioning.StepState{Name: name, Status: provisioning.StepStatusPending, UpdatedAt: reqAt}
		switch {
		case i < 2:
			st.Status, st.Detail = provisioning.StepStatusDone, "ok"
		case i == 2:
			st.Status, st.Attempts, st.ErrorKey = provisioning.StepStatusFailed, 1, "prov.error.unauthorized"
		}
		j.Steps = append(j.Steps, st)
	}
	return j
}

// reqRequestPage is a request's page with everything on it.
func reqRequestPage(status onboarding.Status, canDecide bool) *server.RequestPage {
	app := renderApp(status)
	app.HostID, app.MatchReason = "h1", onboarding.StoredMessage("match.reason.tied", map[string]any{"Departement": "69", "AllFrance": true,
		"Services": []onboarding.Message{{ID: "opt.services.files"}, {ID: "opt.services.calendars"}}, "Load": 2, "Capacity": 20, "Eligible": 3, "Tied": 2})
	ev := func(kind string, public bool) server.EventLine {
		return server.EventLine{Event: onboarding.Event{Kind: kind, Actor: "staff@ile.example", Detail: "détail", Public: public, CreatedAt: reqAt},
			Who: "Camille", What: "Demande envoyée", Text: "détail"}
	}
	return &server.RequestPage{
		App: app, Host: reqHost(), CanDecide: canDecide, Sections: onboarding.GuideSections,
		Terms:  &server.TermsLine{Host: "Les Jardins", Version: "2", Digest: "0123456789ab", Paragraphs: []string{"Un.", "Deux."}},
		Events: []server.EventLine{ev("created", true), ev("submitted", true), ev("host_assigned", false), ev(string(status), true)},
		Notes:  []onboarding.Note{{ID: 1, ApplicationID: "a1", AuthorName: "Camille", Body: "Appelée le 3 mars, très motivée.", CreatedAt: reqAt}},
		Audit: []server.AuditLine{
			{Entry: accounts.Entry{ID: 1, At: reqAt, ActorEmail: "staff@ile.example", Action: "note_added", Detail: "note 1"}, Who: "Camille", What: "Note ajoutée"},
			{Entry: accounts.Entry{ID: 2, At: reqAt, ActorEmail: "admin@archipel.example", Action: "transferred"}, Who: "Archipel", What: "Autre action"},
		},
	}
}

func requestRenderCases() []renderCase {
	staffPage := func(user *accounts.User, path, title string, data any) server.Page {
		return server.Page{Path: path, Title: title, Data: data, User: user}
	}
	var cases []renderCase
	add := func(name, page string, p server.Page) { cases = append(cases, renderCase{name, page, p}) }

	// The review queue.
	rows := []server.QueueRow{
		{QueueItem: onboarding.QueueItem{Application: *renderApp(onboarding.StatusSubmitted), HostName: "L'Île numérique",
			Tab: onboarding.StatusSubmitted}, Days: 12},
		{QueueItem: onboarding.QueueItem{Application: *renderApp(onboarding.StatusInterviewPlanned), Tab: onboarding.StatusInterviewPlanned}, Days: 1},
		{QueueItem: onboarding.QueueItem{Application: *renderApp(onboarding.StatusProvisioning), Tab: onboarding.QueueStopped}, Days: 3},
	}
	var links []server.CountLink
	for i, st := range onboarding.QueueStatuses {
		links = append(links, server.CountLink{Status: st, Count: i, URL: "/staff/requests?filter_status=" + string(st), Current: i == 0})
	}
	queue := &server.QueuePage{Rows: rows, CountLinks: links, Hosts: renderHosts, Statuses: onboarding.QueueStatuses,
		Services: onboarding.Services, CanDecide: true,
		Query: onboarding.QueueQuery{Host: "h1", Status: "submitted", OlderThan: "7", Services: []string{"files"}}}
	add("the administrator's review queue", "requests_queue", staffPage(renderAdmin, "/staff/requests", "req.queue.title", queue))
	empty := &server.QueuePage{CountLinks: links, Statuses: onboarding.QueueStatuses, Services: onboarding.Services,
		Query: onboarding.QueueQuery{OlderThan: "x", Status: "nope", Services: []string{"bad"}}}
	p := staffPage(reqTrainer, "/staff/requests", "req.queue.title", empty)
	p.Errors = reqErrors("filter_status", "older_than", "filter_services")
	add("a trainer's empty queue with wrong filters", "requests_queue", p)
	add("a staff member's queue", "requests_queue", staffPage(renderStaff, "/staff/requests", "req.queue.title",
		&server.QueuePage{Rows: rows[:1], CountLinks: links, Statuses: onboarding.QueueStatuses, Services: onboarding.Services, CanDecide: true}))

	// A request's page.
	add("a submitted request", "requests_show", staffPage(renderStaff, "/staff/requests/a1", "req.show.title",
		reqRequestPage(onboarding.StatusSubmitted, true)))
	planned := reqRequestPage(onboarding.StatusInterviewPlanned, true)
	planned.Interview = reqInterview(onboarding.ModeVideo, onboarding.InterviewRescheduleRequested)
	add("a request whose association asks for another interview time", "requests_show",
		staffPage(renderAdmin, "/staff/requests/a1", "req.show.title", planned))
	info := reqRequestPage(onboarding.StatusInfoRequested, true)
	info.Reopened = []onboarding.Step{onboarding.StepMembers, onboarding.StepNeeds}
	info.App.HostID, info.Host, info.App.MatchReason = "", nil, ""
	add("a request waiting for the association, without host", "requests_show", staffPage(renderAdmin, "/staff/requests/a1", "req.show.title", info))
	failing := reqRequestPage(onboarding.StatusProvisioning, true)
	failing.Interview = reqInterview(onboarding.ModeInPerson, onboarding.InterviewPlanned)
	failing.Job = reqJob()
	p = staffPage(renderStaff, "/staff/requests/a1", "req.show.title", failing)
	p.FormError = "prov.error.not_stopped"
	p.Errors = reqErrors("note_body")
	failing.NoteForm.Body = strings.Repeat("x", 20)
	add("a request whose provisioning failed, with a refused note", "requests_show", p)
	ready := reqRequestPage(onboarding.StatusReady, false)
	ready.Job = reqJob()
	ready.Job.Status, ready.Job.ErrorKey = provisioning.JobSucceeded, ""
	ready.Workspace = &provisioning.Workspace{ApplicationID: "a1", HostID: "h1", LoginURL: "https://cloud.ile.example/index.php/login",
		AccountID: "anne.martin", GroupID: "amis-du-velo", Folder: "Les Amis du Vélo", CreatedAt: reqAt}
	add("a ready workspace as a trainer sees it", "requests_show", staffPage(reqTrainer, "/staff/requests/a1", "req.show.title", ready))
	disabled := reqRequestPage(onboarding.StatusReady, true)
	disabled.Workspace = &provisioning.Workspace{ApplicationID: "a1", LoginURL: "https://cloud.ile.example/index.php/login", AccountID: "anne.martin",
		CreatedAt: reqAt, DisabledAt: reqAt}
	add("a disabled workspace", "requests_show", staffPage(renderStaff, "/staff/requests/a1", "req.show.title", disabled))

	// The interview.
	newIV := &server.InterviewPage{App: renderApp(onboarding.StatusSubmitted), Form: onboarding.InterviewForm{Duration: "60"},
		Sections: onboarding.GuideSections, Modes: onboarding.InterviewModes, Version: 3}
	add("planning a first interview", "requests_interview", staffPage(renderStaff, "/staff/requests/a1/interview", "req.interview.title", newIV))
	iv := reqInterview(onboarding.ModePhone, onboarding.InterviewRescheduleRequested)
	moved := &server.InterviewPage{App: renderApp(onboarding.StatusInterviewPlanned), Interview: iv, Form: iv.Form(), Guide: iv.Notes,
		Sections: onboarding.GuideSections, Modes: onboarding.InterviewModes, Version: 4, RescheduleMessage: "Plutôt le soir, après 18 h."}
	add("an interview to move, with its guide", "requests_interview", staffPage(renderAdmin, "/staff/requests/a1/interview", "req.interview.title", moved))
	bad := &server.InterviewPage{App: renderApp(onboarding.StatusInterviewPlanned), Interview: iv,
		Form:     onboarding.InterviewForm{Date: "31/02/2026", Time: "25:00", Duration: "5", Mode: "x", Link: "ftp://x", Place: ""},
		Guide:    onboarding.GuideNotes{"activity": "x"},
		Sections: onboarding.GuideSections, Modes: onboarding.InterviewModes, Version: 4}
	p = staffPage(renderStaff, "/staff/requests/a1/interview", "req.interview.title", bad)
	var fields []string
	for _, f := range formFields(&onboarding.InterviewForm{}) {
		fields = append(fields, f)
	}
	for _, s := range onboarding.GuideSections {
		fields = append(fields, "guide_"+s)
	}
	p.Errors, p.FormError = reqErrors(fields...), "err.review.stale"
	add("an interview form with an error on every field", "requests_interview", p)

	// The decision.
	app := renderApp(onboarding.StatusInterviewPlanned)
	app.HostID = "h1"
	approve := &server.ApprovePage{App: app, Host: reqHost(), Services: onboarding.Services, Version: 3,
		Form: server.PlanForm{QuotaGB: "20", Accounts: "10", Folders: "Administratif\nProjets", Services: []string{"files"}}}
	add("the approval form", "requests_approve", staffPage(renderStaff, "/staff/requests/a1/approve", "req.approve.title", approve))
	p = staffPage(renderStaff, "/staff/requests/a1/approve", "req.approve.title", approve)
	p.Errors = reqErrors(formFields(&server.PlanForm{})...)
	add("the approval form with an error on every field", "requests_approve", p)
	done := &server.ApprovePage{App: renderApp(onboarding.StatusApproved), Host: reqHost(), Services: onboarding.Services, Version: 4,
		Form: server.PlanForm{QuotaGB: "30", Accounts: "5"}, Typed: true}
	p = staffPage(renderStaff, "/staff/requests/a1/approve", "req.approve.title", done)
	p.FormError = "err.review.already_decided"
	add("the approval of a request decided already", "requests_approve", p)
	p = staffPage(renderAdmin, "/staff/requests/a1/approve", "req.approve.title", &server.ApprovePage{App: renderApp(onboarding.StatusSubmitted), Services: onboarding.Services})
	p.FormError = "err.review.no_host"
	add("the approval of a request without host", "requests_approve", p)

	english := renderApp(onboarding.StatusSubmitted)
	english.Language, english.HostID = "en", "h1"
	decline := &server.DeclinePage{App: english, Version: 3,
		Templates: []server.DeclineChoice{{ID: "t1", Name: "Complet"}, {ID: "builtin-capacity", NameKey: "req.decline.builtin.capacity.name"}},
		Form:      onboarding.Decline{Template: "t1", Reason: "We are full."}}
	add("the decline form of an English-speaking association", "requests_decline", staffPage(renderAdmin, "/staff/requests/a1/decline", "req.decline.title", decline))
	p = staffPage(renderStaff, "/staff/requests/a1/decline", "req.decline.title", &server.DeclinePage{App: renderApp(onboarding.StatusSubmitted), Version: 3})
	p.Errors = reqErrors("decline_reason")
	add("the decline form without a reason", "requests_decline", p)
	p = staffPage(renderStaff, "/staff/requests/a1/decline", "req.decline.title", &server.DeclinePage{App: renderApp(onboarding.StatusWithdrawn),
		Form: onboarding.Decline{Reason: "Complet"}, Typed: true})
	p.FormError = "err.review.withdrawn"
	add("the decline form of a withdrawn request", "requests_decline", p)

	infoPage := &server.InfoPage{App: renderApp(onboarding.StatusSubmitted), Steps: onboarding.ReopenableSteps, Version: 3,
		Form: onboarding.InfoRequest{Steps: []string{"membres"}, Message: "Combien de bénévoles utiliseront l'espace ?"}}
	add("the request for information", "requests_info", staffPage(renderStaff, "/staff/requests/a1/info", "req.info.title", infoPage))
	p = staffPage(renderStaff, "/staff/requests/a1/info", "req.info.title", &server.InfoPage{App: renderApp(onboarding.StatusSubmitted),
		Steps: onboarding.ReopenableSteps, Version: 3})
	p.Errors = reqErrors("info_steps", "info_message")
	add("the request for information with an error on every field", "requests_info", p)
	p = staffPage(renderStaff, "/staff/requests/a1/info", "req.info.title", &server.InfoPage{App: renderApp(onboarding.StatusInfoRequested),
		Steps: onboarding.ReopenableSteps})
	p.FormError = "err.review.awaiting_info"
	add("the request for information when one was sent already", "requests_info", p)
	p = staffPage(renderStaff, "/staff/requests/a1/info", "req.info.title", &server.InfoPage{App: renderApp(onboarding.StatusDeclined),
		Steps: onboarding.ReopenableSteps, Typed: true, Form: onboarding.InfoRequest{Steps: []string{"outils"}, Message: "x"}})
	p.FormError = "err.review.already_decided"
	add("a refused request for information on a decided request", "requests_info", p)
	p = staffPage(renderStaff, "/staff/requests/a1/interview", "req.interview.title", &server.InterviewPage{App: renderApp(onboarding.StatusApproved),
		Form: onboarding.InterviewForm{Date: "10/03/2026", Time: "10:00", Duration: "60", Mode: "phone"}, Typed: true,
		Sections: onboarding.GuideSections, Modes: onboarding.InterviewModes})
	p.FormError = "err.review.already_decided"
	add("a refused interview on a decided request", "requests_interview", p)

	// Decline templates.
	tmpls := []onboarding.DeclineTemplate{
		{ID: "t1", HostID: "h1", Language: "fr", Name: "Complet", Body: "Nous sommes complets.", CreatedAt: reqAt, UpdatedAt: reqAt},
		{ID: "t2", HostID: "h1", Language: "en", Name: "Full", Body: "We are full.", CreatedAt: reqAt, UpdatedAt: reqAt},
	}
	add("the administrator choosing a host's decline templates", "requests_decline_templates", staffPage(renderAdmin, "/staff/decline-templates",
		"req.templates.title", &server.DeclineTemplatesPage{Hosts: renderHosts, Languages: onboarding.TemplateLanguages}))
	add("a host's decline templates, one being edited", "requests_decline_templates", staffPage(renderAdmin, "/staff/decline-templates",
		"req.templates.title", &server.DeclineTemplatesPage{HostID: "h1", HostName: "L'Île numérique", Hosts: renderHosts, Templates: tmpls,
			Form: tmpls[0], Languages: onboarding.TemplateLanguages}))
	p = staffPage(renderStaff, "/staff/decline-templates", "req.templates.title", &server.DeclineTemplatesPage{HostID: "h1",
		HostName: "L'Île numérique", Languages: onboarding.TemplateLanguages, Form: onboarding.DeclineTemplate{Language: "de"}})
	p.Errors = reqErrors(formFields(&onboarding.DeclineTemplate{})...)
	add("a new decline template with an error on every field", "requests_decline_templates", p)

	// The association's status page: its interview, and what staff asked.
	status := func(st onboarding.Status) *server.StatusPage {
		sp := &server.StatusPage{App: renderApp(st), Events: []onboarding.Event{{Kind: "submitted", Public: true, CreatedAt: reqAt},
			{Kind: "reschedule_requested", Public: true, CreatedAt: reqAt}, {Kind: "workspace_disabled", Public: true, CreatedAt: reqAt}}}
		for i, m := range onboarding.Milestones {
			sp.Milestones = append(sp.Milestones, server.Milestone{Status: m, State: []string{"done", "current", "todo", "todo", "todo"}[i]})
		}
		return sp
	}
	for _, mode := range onboarding.InterviewModes {
		sp := status(onboarding.StatusInterviewPlanned)
		sp.Interview = reqInterview(mode, onboarding.InterviewPlanned)
		add("the status page with an interview "+mode, "status", server.Page{Path: "/suivi", Title: "status.title", Data: sp})
	}
	sp := status(onboarding.StatusInterviewPlanned)
	sp.Interview = reqInterview(onboarding.ModeVideo, onboarding.InterviewRescheduleRequested)
	add("the status page after asking for another time", "status", server.Page{Path: "/suivi", Title: "status.title",
		Flash: "notice.reschedule_requested", Data: sp})
	sp = status(onboarding.StatusInterviewPlanned)
	sp.Interview = reqInterview(onboarding.ModePhone, onboarding.InterviewPlanned)
	p = server.Page{Path: "/suivi", Title: "status.title", Data: sp, Errors: reqErrors("reschedule_message")}
	add("the status page refusing an empty request for another time", "status", p)
	sp = status(onboarding.StatusInfoRequested)
	sp.InfoMessage, sp.Reopened = "Combien de bénévoles ?", []onboarding.Step{onboarding.StepMembers}
	add("the status page when the host asks for more", "status", server.Page{Path: "/suivi", Title: "status.title", Data: sp})
	return cases
}

// TestRequestMailsRenderInBothLanguages renders every e-mail of the
// request side with the data the handlers give.
func TestRequestMailsRenderInBothLanguages(t *testing.T) {
	s := loadSet(t)
	base := func() map[string]any {
		return map[string]any{"Name": "Les Amis du Vélo", "Link": "https://archipel.example/suivi", "Host": "L'Île numérique"}
	}
	with := func(kv ...any) map[string]any {
		m := base()
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name string
		data map[string]any
		want string // a value the text must show
	}{
		{"interview_planned", with("Start", reqAt, "Minutes", 60, "Mode", "video", "MeetingURL", "https://visio.example/x", "Moved", false), "https://visio.example/x"},
		{"interview_planned", with("Start", reqAt, "Minutes", 45, "Mode", "phone", "Phone", "06 12 34 56 78", "Moved", true), "06 12 34 56 78"},
		{"approved", base(), "L'Île numérique"},
		{"declined", with("Reason", "Nous sommes complets."), "Nous sommes complets."},
		{"info_requested", with("Message", "Combien de bénévoles ?", "Steps", []string{"membres"}, "Link", "https://archipel.example/reprendre/abc"), "https://archipel.example/reprendre/abc"},
		{"workspace_disabled", base(), "Les Amis du Vélo"},
		{"reschedule_requested", with("Message", "Le soir plutôt", "RequestURL", "https://archipel.example/staff/requests/a1"), "Le soir plutôt"},
	}
	for _, tc := range cases {
		for _, lang := range templates.Languages {
			t.Run("the "+tc.name+" mail in "+lang, func(t *testing.T) {
				subject, text, html, err := s.Mail(lang, tc.name, tc.data)
				if err != nil {
					t.Fatal(err)
				}
				// "de Les Amis du Vélo" reads "des Amis du Vélo" in French.
				if !strings.Contains(subject, "Amis du Vélo") || strings.Contains(subject, "\n") {
					t.Errorf("subject %q", subject)
				}
				if !strings.Contains(text, s.MustT(lang, "mail.hello")) || !strings.Contains(html, `lang="`+lang+`"`) {
					t.Errorf("text or HTML not in %s:\n%s\n%s", lang, text, html)
				}
				if !strings.Contains(text, tc.want) || strings.Contains(text, "<no value>") {
					t.Errorf("text lacks %q:\n%s", tc.want, text)
				}
			})
		}
	}
}
