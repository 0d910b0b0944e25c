package templates_test

import (
	"strings"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/server"
	"archipel/templates"
	"archipel/training"
)

var renderTrainer = &accounts.User{ID: "u3", Email: "camille@ile.example", Name: "Camille", Role: accounts.RoleTrainer, HostID: "h1", Active: true,
	CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

// renderCaseOf is a case in a stage, with everything a case page shows.
func renderCaseOf(stage training.Stage) *training.Case {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	c := &training.Case{ID: "c1", ApplicationID: "a1", HostID: "h1", HostName: "L'Île numérique", Association: "Les Amis du Vélo",
		Town: "Lyon", Departement: "69", Language: "fr", ContactEmail: "anne@example.org", ContactName: "Anne Martin",
		Services: []string{"files", "calendars"}, Stage: stage, Goals: "Partager les comptes rendus\nQuitter Google Drive",
		TrainerIDs: []string{"u3"}, Version: 4, OpenedAt: at, UpdatedAt: at}
	if stage == training.StageClosed {
		c.Outcome, c.CloseNote, c.ClosedAt, c.CheckinsStopped = training.OutcomeSuccess, "Autonomes sur les agendas", at.AddDate(0, 3, 0), true
	}
	return c
}

func caseRenderCases() []renderCase {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	open := renderCaseOf(training.StageTraining)
	closed := renderCaseOf(training.StageClosed)
	dropped := renderCaseOf(training.StageClosed)
	dropped.Outcome = training.OutcomeDropped
	session := training.Session{ID: "s1", CaseID: "c1", TrainerID: "u3", StartsAt: at, Minutes: 90, Format: training.FormatOnSite,
		Topics: []string{"calendars", "h-own"}, Attendees: 6, Notes: "Bien passé", NextSteps: "Importer les agendas", Association: "Les Amis du Vélo"}
	remote := session
	remote.ID, remote.Format, remote.Topics, remote.Attendees = "s2", training.FormatRemote, nil, 0
	var checkins []training.CheckIn
	for i, st := range training.CheckinStatuses {
		k := training.CheckIn{ID: "k" + string(st), CaseID: "c1", OffsetDays: 7 * (i + 1), DueAt: at.AddDate(0, 0, 7*(i+1)), Status: st,
			Association: "Les Amis du Vélo", HostID: "h1"}
		if st != training.CheckinScheduled {
			k.SentAt = k.DueAt
		}
		if st == training.CheckinAnswered {
			k.Rating, k.Works, k.Blocks, k.WantsHelp, k.WantsTraining, k.AnsweredAt = 4, "Les agendas", "Les mots de passe", true, true, k.DueAt
		}
		checkins = append(checkins, k)
	}
	usage := training.UsageView{
		Current:  &training.Reading{TakenAt: at, OK: true, Accounts: 5, LastLoginAt: at, UsedBytes: 950 << 20, QuotaBytes: 1000 << 20},
		Previous: &training.Reading{TakenAt: at.AddDate(0, 0, -1), OK: true, Accounts: 3, UsedBytes: 900 << 20, QuotaBytes: 1000 << 20},
		Failed:   &training.Reading{TakenAt: at.AddDate(0, 0, 1), Error: "unavailable"},
	}
	var flags []training.CaseFlag
	for _, f := range training.Flags {
		flags = append(flags, training.CaseFlag{Flag: f, RaisedAt: at})
	}
	trainers := []training.Trainer{{ID: "u3", Name: "Camille", Email: "camille@ile.example", Role: "trainer"},
		{ID: "u2", Email: "staff@ile.example", Role: "staff"}}
	labels := map[string]string{"calendars": "Agendas", "h-own": "Nextcloud Deck"}
	casePage := func(c *training.Case) *server.CasePage {
		return &server.CasePage{Case: c, Eligible: trainers, Assigned: trainers[:1], Sessions: []training.Session{session, remote},
			Checkins: checkins, Usage: usage, Flags: flags, TopicLabels: labels, TrainerName: map[string]string{"u3": "Camille"},
			Moves:  []training.Stage{training.StageWelcome, training.StageGettingStarted, training.StageTraining, training.StageAutonomous},
			Chosen: c.TrainerIDs, MayAssign: true, MayClose: true}
	}
	bare := casePage(renderCaseOf(training.StageWelcome))
	bare.Case.Goals, bare.Case.Services, bare.Sessions, bare.Checkins, bare.Flags, bare.Usage, bare.Assigned, bare.Eligible = "", nil, nil, nil, nil, training.UsageView{}, nil, nil
	card := training.Card{Case: *open, Flags: []training.Flag{training.FlagNoLogin7d}, Trainers: []string{"Camille"}}
	closedCard := training.Card{Case: *closed}
	cols := []training.Column{{Stage: training.StageWelcome}, {Stage: training.StageGettingStarted},
		{Stage: training.StageTraining, Cards: []training.Card{card}}, {Stage: training.StageAutonomous}, {Stage: training.StageClosed, Cards: []training.Card{closedCard}}}
	hosts := []training.Host{{ID: "h1", Slug: "ile-numerique", Name: "L'Île numérique"}, {ID: "h2", Slug: "recif", Name: "Récif solidaire"}}
	moves := []training.Stage{training.StageWelcome, training.StageGettingStarted, training.StageTraining, training.StageAutonomous}
	weekStart, weekEnd := training.WeekOf(at)
	dash := &training.Dashboard{WeekStart: weekStart, WeekEnd: weekEnd, MyCases: []training.Card{card}, Sessions: []training.Session{session},
		Due: checkins[:2], Unanswered: checkins[2:5], Flagged: []training.Card{card}}
	topics := []server.TopicOption{{Key: "file_sharing", Label: "Partage de fichiers"}, {Key: "calendars", Label: "Agendas"}, {Key: "h-own", Label: "Nextcloud Deck", Custom: true}}
	sessionForm := func(id string, f training.SessionForm) *server.SessionFormPage {
		return &server.SessionFormPage{Case: open, SessionID: id, Form: f, Topics: topics, Trainers: trainers, Formats: training.Formats}
	}
	every := func(fields ...string) onboarding.FieldErrors {
		var fe onboarding.FieldErrors
		for _, f := range fields {
			fe = append(fe, onboarding.FieldError{Field: f, Key: "err.choice"})
		}
		return fe
	}
	page := func(path, title string, u *accounts.User, data any) server.Page {
		return server.Page{Path: path, Title: title, User: u, Data: data}
	}
	withErrors := func(p server.Page, fe onboarding.FieldErrors, formErr string) server.Page {
		p.Errors, p.FormError = fe, formErr
		return p
	}
	cases := []renderCase{
		{"a trainer's dashboard", "cases_dashboard", page("/staff/cases", "cases.dashboard.title", renderTrainer,
			&server.CaseDashboardPage{Dash: dash, Scope: "mine", Now: at})},
		{"the administrator's dashboard in the demo", "cases_dashboard", page("/staff/cases", "cases.dashboard.title", renderAdmin,
			&server.CaseDashboardPage{Dash: dash, Scope: "all", Demo: true, DemoDays: "7", Now: at})},
		{"an empty dashboard", "cases_dashboard", page("/staff/cases", "cases.dashboard.title", renderStaff,
			&server.CaseDashboardPage{Dash: &training.Dashboard{WeekStart: weekStart, WeekEnd: weekEnd}, Scope: "host", Now: at})},
		{"the board of every host", "cases_board", page("/staff/cases/board", "cases.board.title", renderAdmin,
			&server.CaseBoardPage{Hosts: hosts, Columns: cols, Moves: moves})},
		{"a host's board", "cases_board", page("/staff/cases/board", "cases.board.title", renderStaff,
			&server.CaseBoardPage{HostID: "h1", Columns: cols, Moves: moves})},
		{"an open case with everything", "cases_case", page("/staff/cases/c1", "cases.case.title", renderTrainer, casePage(open))},
		{"a case refusing a stage and trainers", "cases_case", withErrors(page("/staff/cases/c1", "cases.case.title", renderStaff, casePage(open)),
			onboarding.FieldErrors{{Field: "stage", Key: "err.choice"}, {Field: "trainers", Key: "err.case.trainer"}}, "")},
		{"a case changed meanwhile", "cases_case", withErrors(page("/staff/cases/c1", "cases.case.title", renderStaff, casePage(open)), nil, "err.case.changed")},
		{"a new case with nothing yet", "cases_case", page("/staff/cases/c1", "cases.case.title", renderAdmin, bare)},
		{"a case closed as a success", "cases_case", page("/staff/cases/c1", "cases.case.title", renderStaff, casePage(closed))},
		{"a case closed as dropped", "cases_case", page("/staff/cases/c1", "cases.case.title", renderStaff, casePage(dropped))},
		{"the new session form", "cases_session", page("/staff/cases/c1/sessions/new", "cases.session.new_title", renderTrainer,
			sessionForm("", training.SessionForm{Format: "remote", Minutes: "90"}))},
		{"the session form with an error on every field", "cases_session", withErrors(page("/staff/cases/c1/sessions", "cases.session.new_title", renderTrainer,
			sessionForm("", training.SessionForm{Date: "2026-02-30", Time: "25:00", Minutes: "0", Format: "x", Topics: []string{"calendars"}, Attendees: "-1", Trainer: "u3",
				Notes: "n", NextSteps: "s"})), every("session_date", "session_time", "session_duration", "session_format", "session_topics",
			"session_attendees", "session_trainer", "session_notes", "session_next_steps"), "")},
		{"the session edit form", "cases_session", page("/staff/cases/c1/sessions/s1", "cases.session.edit_title", renderTrainer,
			sessionForm("s1", training.FormOf(&session)))},
		{"the close form", "cases_close", page("/staff/cases/c1/close", "cases.close.title", renderStaff,
			&server.CloseCasePage{Case: open, Outcomes: []string{"success", "dropped"}})},
		{"the close form with errors", "cases_close", withErrors(page("/staff/cases/c1/close", "cases.close.title", renderStaff,
			&server.CloseCasePage{Case: open, Outcome: "x", Note: "n", Outcomes: []string{"success", "dropped"}}), every("close_outcome", "close_note"), "err.case.changed")},
		{"my sessions without a calendar", "cases_sessions", page("/staff/sessions", "cases.sessions.title", renderTrainer, &server.MySessionsPage{})},
		{"my sessions with a new calendar address", "cases_sessions", page("/staff/sessions", "cases.sessions.title", renderTrainer,
			&server.MySessionsPage{Sessions: []training.Session{session, remote}, FeedURL: "https://archipel.example/agenda/x.ics", FeedCreated: at})},
		{"my sessions with a calendar", "cases_sessions", page("/staff/sessions", "cases.sessions.title", renderTrainer,
			&server.MySessionsPage{Sessions: []training.Session{session}, FeedCreated: at})},
		{"the topics of a host for the administrator", "cases_topics", page("/staff/cases/topics", "cases.topics.title", renderAdmin,
			&server.CaseTopicsPage{Hosts: hosts, HostID: "h1", Topics: topics})},
		{"the topics refusing a label", "cases_topics", withErrors(page("/staff/cases/topics", "cases.topics.title", renderStaff,
			&server.CaseTopicsPage{HostID: "h1", Topics: topics, Form: training.TopicForm{LabelFR: "Agendas", LabelEN: "x"}}),
			every("topic_label_fr", "topic_label_en"), "")},
		{"the report for the administrator", "cases_report", page("/staff/cases/report", "cases.report.title", renderAdmin,
			&server.CaseReportPage{Hosts: hosts, Form: training.ReportForm{From: "2026-01-01", To: "2026-03-31", Host: "h1"}})},
		{"the report refusing its dates", "cases_report", withErrors(page("/staff/cases/report", "cases.report.title", renderAdmin,
			&server.CaseReportPage{Hosts: hosts, Form: training.ReportForm{From: "2026-13-01", To: "x"}}), every("report_from", "report_to", "report_host"), "")},
		{"the report for a host's staff", "cases_report", page("/staff/cases/report", "cases.report.title", renderStaff,
			&server.CaseReportPage{Form: training.ReportForm{From: "2026-01-01", To: "2026-03-31"}})},
	}
	checkin := &server.CheckinPage{Association: "Les Amis du Vélo", Host: "L'Île numérique", Days: 30, Action: "/bilan/x",
		Ratings: []string{"1", "2", "3", "4", "5"}, Help: training.HelpChoices}
	bad := *checkin
	bad.Form = training.CheckinAnswer{Rating: "9", Works: "w", Blocks: "b", Help: []string{"help"}}
	cases = append(cases,
		renderCase{"the check-in form", "checkin_form", server.Page{Path: "/bilan/x", Title: "checkin.title", Data: checkin}},
		renderCase{"the check-in form with errors", "checkin_form", server.Page{Path: "/bilan/x", Title: "checkin.title", Data: &bad,
			Errors: every("checkin_rating", "checkin_works", "checkin_blocks", "checkin_help")}},
		renderCase{"the page to stop check-ins", "checkin_stop", server.Page{Path: "/bilan/x/arreter", Title: "checkin.stop.title",
			Data: &server.CheckinStopPage{Association: "Les Amis du Vélo", Action: "/bilan/x/arreter", Back: "/bilan/x"}}},
	)
	for _, key := range []string{"checkin.closed.answered", "checkin.closed.stopped", "checkin.closed.case_closed", "checkin.closed.expired"} {
		cases = append(cases, renderCase{"the check-in page saying " + key, "checkin_done", server.Page{Path: "/bilan/x", Title: "checkin.title",
			Flash: "notice.checkin_thanks", Data: &server.CheckinDonePage{Association: "Les Amis du Vélo", Message: key}}})
	}
	return cases
}

func TestCaseMessagesBuiltFromDomainValuesExist(t *testing.T) {
	fr := readMessages(t, "fr")
	want := func(id string) {
		t.Helper()
		if _, ok := fr[id]; !ok {
			t.Errorf("no message %s", id)
		}
	}
	for _, st := range training.Stages {
		want("stage." + string(st))
	}
	for _, f := range training.Flags {
		want("flag." + string(f))
		want("flag." + string(f) + ".help")
	}
	for _, st := range training.CheckinStatuses {
		want("checkin.status." + string(st))
	}
	for _, tp := range training.DefaultTopics {
		want("topic." + tp.Key)
	}
	for _, f := range training.Formats {
		want("opt.session_format." + f)
	}
	for _, o := range []training.Outcome{training.OutcomeSuccess, training.OutcomeDropped} {
		want("opt.close_outcome." + string(o))
	}
	for _, h := range training.HelpChoices {
		want("opt.checkin_help." + h)
	}
	for _, r := range []string{"trainer", "staff"} {
		want("cases.role." + r)
	}
	for _, key := range []string{"err.case.closed", "err.case.changed", "err.case.outcome", "err.case.trainer", "err.topic.exists",
		"err.topic.label_required", "err.checkin.unknown", "err.checkin.rating", "err.demo.days", "err.report.date", "err.report.order",
		"err.report.span", "err.session.date_required", "err.session.date_invalid", "err.session.date_range", "err.session.time_required",
		"err.session.time_invalid", "err.session.duration_required", "err.session.duration_range", "err.session.attendees_range"} {
		want(key)
	}
	for _, field := range []string{"session_date", "session_time", "session_duration", "session_format", "session_topics", "session_attendees",
		"session_trainer", "session_notes", "session_next_steps", "close_outcome", "close_note", "topic_label_fr", "topic_label_en",
		"report_from", "report_to", "report_host", "checkin_rating", "checkin_works", "checkin_blocks", "checkin_help", "stage", "trainers"} {
		want("label." + field)
	}
}

func TestCaseMailsRenderInBothLanguages(t *testing.T) {
	s := loadSet(t)
	tests := []struct {
		name string
		mail string
		data map[string]any
		want []string
	}{
		{"a check-in", "checkin", map[string]any{"Name": "Les Amis du Vélo", "Host": "L'Île numérique", "Link": "https://a.example/bilan/T",
			"StopLink": "https://a.example/bilan/T/arreter", "Days": 30, "Reminder": false}, []string{"https://a.example/bilan/T", "/arreter", "30"}},
		{"a check-in's reminder", "checkin", map[string]any{"Name": "Les Amis du Vélo", "Host": "L'Île numérique", "Link": "https://a.example/bilan/R",
			"StopLink": "https://a.example/bilan/R/arreter", "Days": 30, "Reminder": true}, []string{"https://a.example/bilan/R"}},
		{"an answer for the trainers", "checkin_answered", map[string]any{"Name": "Les Amis du Vélo", "Days": 7, "Rating": 2, "Works": "Les agendas",
			"Blocks": "Les <mots> de passe", "WantsHelp": true, "WantsTraining": false, "Link": "https://a.example/staff/cases/c1"},
			[]string{"2/5", "Les agendas", "https://a.example/staff/cases/c1"}},
	}
	for _, tt := range tests {
		for _, lang := range templates.Languages {
			t.Run(tt.name+" in "+lang, func(t *testing.T) {
				subject, text, html, err := s.Mail(lang, tt.mail, tt.data)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(subject, "Les Amis du Vélo") || strings.Contains(subject, "\n") {
					t.Errorf("subject %q", subject)
				}
				for _, w := range tt.want {
					if !strings.Contains(text, w) || !strings.Contains(html, w) {
						t.Errorf("%q missing from the text or the HTML:\n%s\n%s", w, text, html)
					}
				}
				if strings.Contains(html, "<mots>") {
					t.Error("the HTML does not escape the association's words")
				}
			})
		}
	}
}
