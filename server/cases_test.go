package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/training"
)

// The accompaniment pages through the real router: board, case, sessions,
// dashboard, the association's check-in link, the report and the calendar.

const casePassword = "une phrase de passe pour les tests"

var caseSeq atomic.Int64

// caseBrowser creates an account and returns a browser signed in with it.
func (a *testApp) caseBrowser(role accounts.Role, hostID, lang string) (*browser, *accounts.User) {
	a.t.Helper()
	ctx := context.Background()
	email := fmt.Sprintf("case-%s-%d@staff.example", role, caseSeq.Add(1))
	u, err := a.Accounts.Create(ctx, accounts.NewUser{Email: email, Name: "Camille " + string(role), Role: role, HostID: hostID, Language: lang})
	if err != nil {
		a.t.Fatalf("create %s: %v", email, err)
	}
	if err := a.Accounts.SetPassword(ctx, u, casePassword); err != nil {
		a.t.Fatal(err)
	}
	b := a.browser(lang)
	res := b.post("/staff/login", url.Values{"email": {email}, "password": {casePassword}, "next": {"/staff"}})
	if res.Status != http.StatusSeeOther {
		a.t.Fatalf("login: %d", res.Status)
	}
	return b, u
}

// caseSeed adds a ready workspace on a host and opens its case; readyAt
// is how long ago the workspace became ready.
func (a *testApp) caseSeed(hostID, name, email string, ago time.Duration) *training.Case {
	a.t.Helper()
	ctx := context.Background()
	id := uuid.NewString()
	at := time.Now().UTC().Add(-ago)
	answers, _ := json.Marshal(map[string]any{"association": map[string]any{"name": name, "town": "Lyon"},
		"members": map[string]any{"contact_name": "Anne"}, "needs": map[string]any{"services": []string{"files"}}})
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO applications (id, status, language, answers, association_name, departement, contact_email, host_id, created_at, updated_at)
			VALUES ($1, 'ready', 'fr', $2, $3, '69', $4, $5, $6, $6)`, []any{id, string(answers), name, email, hostID, at}},
		{`INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
			VALUES ($1, $2, 'https://cloud.example', 'asso-admin', 'asso', 'Asso', 1073741824, $3)`, []any{id, hostID, at}},
	} {
		if _, err := a.DB.ExecContext(ctx, q.sql, q.args...); err != nil {
			a.t.Fatal(err)
		}
	}
	if _, err := a.Training.OpenCases(ctx); err != nil {
		a.t.Fatal(err)
	}
	c, err := a.Training.ByApplication(ctx, id)
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

// caseSendDue sends the check-ins due by now+ahead, as the dispatcher of
// another replica would.
func (a *testApp) caseSendDue(ahead time.Duration) training.TickResult {
	a.t.Helper()
	store := training.NewStore(a.DB, func() time.Time { return time.Now().Add(ahead) })
	d := training.NewDispatcher(store, a.Postman, nil, slog.New(slog.DiscardHandler),
		training.DispatcherOptions{BaseURL: a.Server.URL, Worker: "test"})
	r, err := d.Tick(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	return r
}

var caseLinkRe = regexp.MustCompile(`/bilan/([A-Za-z0-9_-]{43})\b`)

// caseLink returns the check-in link of the newest mail to addr.
func (a *testApp) caseLink(addr string) string {
	a.t.Helper()
	msgs := a.mails(addr)
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := caseLinkRe.FindString(msgs[i].Text); m != "" {
			return m
		}
	}
	a.t.Fatalf("no check-in link mailed to %s", addr)
	return ""
}

func (a *testApp) caseAudit(action string) int {
	a.t.Helper()
	var n int
	if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func caseText(res *response, sel string) string {
	return strings.Join(strings.Fields(res.Doc.Find(sel).Text()), " ")
}

func caseExpect(t *testing.T, res *response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d (location %q)\n%s", res.Status, status, res.Location, caseText(res, "main"))
	}
}

func caseT(t *testing.T, lang, id string, args ...any) string {
	t.Helper()
	msg, err := loadTemplates(t).T(lang, id, args...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestCaseBoardShowsEachHostItsOwnCases(t *testing.T) {
	app := newTestApp(t)
	velo := app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", time.Hour)
	chorale := app.caseSeed("h-all", "Chorale du Récif", "do@chorale.example", time.Hour)
	staff, _ := app.caseBrowser(accounts.RoleStaff, "h-lyon", "fr")
	otherTrainer, _ := app.caseBrowser(accounts.RoleTrainer, "h-all", "fr")
	admin, _ := app.caseBrowser(accounts.RoleAdmin, "", "en")

	t.Run("a host's staff sees its cases in one column per stage", func(t *testing.T) {
		res := staff.get("/staff/cases/board")
		caseExpect(t, res, http.StatusOK)
		if n := res.Doc.Find("thead th").Length(); n != len(training.Stages) {
			t.Errorf("%d columns", n)
		}
		body := caseText(res, "main")
		if !strings.Contains(body, "Les Amis du Vélo") || strings.Contains(body, "Chorale du Récif") {
			t.Errorf("board: %s", body)
		}
		if res.Doc.Find("form[action='/staff/cases/"+velo.ID+"/stage'] select option[selected]").AttrOr("value", "") != "welcome" {
			t.Error("no move form on the card")
		}
		if res.Doc.Find("script").Length() != 0 {
			t.Error("the board needs a script")
		}
	})
	t.Run("another host's case answers not found, even to a form", func(t *testing.T) {
		caseExpect(t, staff.get("/staff/cases/"+chorale.ID), http.StatusNotFound)
		caseExpect(t, otherTrainer.get("/staff/cases/"+velo.ID), http.StatusNotFound)
		caseExpect(t, staff.post("/staff/cases/"+chorale.ID+"/stage", url.Values{"stage": {"training"}, "version": {"1"}}), http.StatusNotFound)
		caseExpect(t, staff.get("/staff/cases/no-such-case"), http.StatusNotFound)
		if c, _ := app.Training.Get(context.Background(), chorale.ID); c.Stage != training.StageWelcome {
			t.Errorf("stage %s", c.Stage)
		}
	})
	t.Run("an administrator sees every host, or the one chosen", func(t *testing.T) {
		res := admin.get("/staff/cases/board")
		caseExpect(t, res, http.StatusOK)
		if body := caseText(res, "main"); !strings.Contains(body, "Les Amis du Vélo") || !strings.Contains(body, "Chorale du Récif") {
			t.Errorf("board: %s", body)
		}
		res = admin.get("/staff/cases/board?host=h-all")
		if body := caseText(res, "tbody"); strings.Contains(body, "Les Amis du Vélo") || !strings.Contains(body, "Chorale du Récif") {
			t.Errorf("board of h-all: %s", body)
		}
		caseExpect(t, admin.get("/staff/cases/"+chorale.ID), http.StatusOK)
	})
	t.Run("moving a case is a form that comes back to the board", func(t *testing.T) {
		res := staff.post("/staff/cases/"+velo.ID+"/stage", url.Values{"stage": {"training"}, "version": {fmt.Sprint(velo.Version)}, "back": {"board"}})
		caseExpect(t, res, http.StatusSeeOther)
		if res.Location != "/staff/cases/board?host=h-lyon&notice=case_moved" {
			t.Errorf("location %q", res.Location)
		}
		res = staff.get(res.Location)
		if got := caseText(res, ".notice"); got != caseT(t, "fr", "notice.case_moved") {
			t.Errorf("notice %q", got)
		}
		if res.Doc.Find("form[action='/staff/cases/"+velo.ID+"/stage'] select option[selected]").AttrOr("value", "") != "training" {
			t.Error("the case did not move")
		}
		if app.caseAudit("case_stage") != 1 {
			t.Error("the move is not in the audit log")
		}
	})
	t.Run("a move from a stale page is refused with an explanation", func(t *testing.T) {
		res := staff.post("/staff/cases/"+velo.ID+"/stage", url.Values{"stage": {"autonomous"}, "version": {fmt.Sprint(velo.Version)}})
		caseExpect(t, res, http.StatusConflict)
		if got := caseText(res, ".error-summary"); !strings.Contains(got, caseT(t, "fr", "err.case.changed")) {
			t.Errorf("summary %q", got)
		}
	})
	t.Run("an unknown stage is refused next to the field", func(t *testing.T) {
		res := staff.post("/staff/cases/"+velo.ID+"/stage", url.Values{"stage": {"closed"}, "version": {"9"}})
		caseExpect(t, res, http.StatusBadRequest)
		if res.Doc.Find("#f-stage-error").Length() != 1 {
			t.Error("no error next to the stage")
		}
	})
}

func TestCaseSessionsAndTheTrainersDashboard(t *testing.T) {
	app := newTestApp(t)
	velo := app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", 24*time.Hour)
	staff, _ := app.caseBrowser(accounts.RoleStaff, "h-lyon", "fr")
	trainer, u := app.caseBrowser(accounts.RoleTrainer, "h-lyon", "en")
	_, far := app.caseBrowser(accounts.RoleTrainer, "h-all", "fr")
	base := "/staff/cases/" + velo.ID

	t.Run("trainers are accounts of the host", func(t *testing.T) {
		res := staff.post(base+"/trainers", url.Values{"trainers": {u.ID, far.ID}, "version": {fmt.Sprint(velo.Version)}})
		caseExpect(t, res, http.StatusBadRequest)
		if res.Doc.Find("#f-trainers-error").Length() != 1 {
			t.Error("no error next to the trainers")
		}
		caseExpect(t, staff.post(base+"/trainers", url.Values{"trainers": {u.ID}, "version": {fmt.Sprint(velo.Version)}}), http.StatusSeeOther)
		if app.caseAudit("case_trainers") != 1 {
			t.Error("not audited")
		}
	})
	today := time.Now().In(training.Paris).Format("2006-01-02")
	t.Run("an impossible session comes back with messages in English and every value kept", func(t *testing.T) {
		res := trainer.post(base+"/sessions", url.Values{"session_date": {"2026-02-30"}, "session_time": {"25:00"}, "session_duration": {"0"},
			"session_format": {"remote"}, "session_notes": {"Apporter le vidéoprojecteur"}})
		caseExpect(t, res, http.StatusBadRequest)
		summary := caseText(res, ".error-summary")
		for _, key := range []string{"err.session.date_invalid", "err.session.time_invalid", "err.session.duration_range"} {
			if !strings.Contains(summary, caseT(t, "en", key)) {
				t.Errorf("summary %q lacks %s", summary, key)
			}
		}
		for id, want := range map[string]string{"#f-session_date": "2026-02-30", "#f-session_time": "25:00", "#f-session_duration": "0"} {
			if got := res.Doc.Find(id).AttrOr("value", ""); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		if got := res.Doc.Find("#f-session_notes").Text(); got != "Apporter le vidéoprojecteur" {
			t.Errorf("notes %q", got)
		}
		if res.Doc.Find("#f-session_format-0[checked]").Length() != 1 {
			t.Error("the format is not kept")
		}
	})
	t.Run("a session of today is saved and listed", func(t *testing.T) {
		res := trainer.post(base+"/sessions", url.Values{"session_date": {today}, "session_time": {"00:30"}, "session_duration": {"120"},
			"session_format": {"on_site"}, "session_topics": {"calendars", "leaving_google_drive"}, "session_attendees": {"5"},
			"session_trainer": {u.ID}, "session_next_steps": {"Importer les agendas"}})
		caseExpect(t, res, http.StatusSeeOther)
		res = trainer.get(res.Location)
		if got := caseText(res, "#sessions + table"); !strings.Contains(got, "Calendars, Moving data off Google Drive") || !strings.Contains(got, "Importer les agendas") {
			t.Errorf("sessions %q", got)
		}
		if app.caseAudit("session_add") != 1 {
			t.Error("not audited")
		}
	})
	if _, err := app.DB.ExecContext(context.Background(), `INSERT INTO case_flags (case_id, flag, raised_at) VALUES ($1, 'no_login_7d', $2)`,
		velo.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	t.Run("the dashboard shows my cases, this week's sessions, check-ins due and flags", func(t *testing.T) {
		res := trainer.get("/staff/cases")
		caseExpect(t, res, http.StatusOK)
		for sel, want := range map[string]string{
			"#my-cases + ul":  "Les Amis du Vélo",
			"#week + ul":      "Les Amis du Vélo",
			"#due + ul":       caseT(t, "en", "cases.checkin.offset", "N", 7),
			"#flagged + ul":   caseT(t, "en", "flag.no_login_7d"),
			"#unanswered + p": caseT(t, "en", "cases.dashboard.no_unanswered"),
		} {
			if got := caseText(res, sel); !strings.Contains(got, want) {
				t.Errorf("%s: %q lacks %q", sel, got, want)
			}
		}
		if res.Doc.Find("a[href='/staff/cases/report']").Length() != 0 {
			t.Error("a trainer is offered the funders' report")
		}
	})
	t.Run("the session opens again for editing, filled in", func(t *testing.T) {
		res := trainer.get(base)
		link := res.Doc.Find("#sessions + table tbody a").AttrOr("href", "")
		res = trainer.get(link)
		caseExpect(t, res, http.StatusOK)
		if res.Doc.Find("#f-session_date").AttrOr("value", "") != today || res.Doc.Find("#f-session_duration").AttrOr("value", "") != "120" {
			t.Error("the form is not filled in")
		}
		caseExpect(t, trainer.post(link, url.Values{"session_date": {today}, "session_time": {"00:30"}, "session_duration": {"90"},
			"session_format": {"remote"}, "session_attendees": {"7"}}), http.StatusSeeOther)
		if app.caseAudit("session_update") != 1 {
			t.Error("not audited")
		}
	})
}

func TestCheckinLinkOfTheAssociation(t *testing.T) {
	app := newTestApp(t)
	velo := app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", time.Hour)
	_, u := app.caseBrowser(accounts.RoleTrainer, "h-lyon", "fr")
	if err := app.Training.AssignTrainers(context.Background(), &accounts.User{Role: accounts.RoleAdmin}, velo, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	if r := app.caseSendDue(8 * 24 * time.Hour); r.Sent != 1 {
		t.Fatalf("tick %+v", r)
	}
	link := app.caseLink("anne@velo.example")
	anne := app.browser("fr")

	t.Run("the link opens the form", func(t *testing.T) {
		res := anne.get(link)
		caseExpect(t, res, http.StatusOK)
		if res.Doc.Find("input[name=checkin_rating]").Length() != 5 || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Error("no rating to choose, or the link may leak")
		}
	})
	t.Run("unknown and mistyped links get the same not found", func(t *testing.T) {
		a := anne.get("/bilan/" + strings.Repeat("A", 43))
		b := anne.get(link[:len(link)-1] + "x")
		c := anne.get("/bilan/court")
		for _, res := range []*response{a, b, c} {
			caseExpect(t, res, http.StatusNotFound)
		}
		if caseText(a, "main") != caseText(b, "main") || caseText(a, "main") != caseText(c, "main") ||
			!strings.Contains(caseText(a, "main"), caseT(t, "fr", "err.checkin.unknown")) {
			t.Errorf("different answers: %q / %q / %q", caseText(a, "main"), caseText(b, "main"), caseText(c, "main"))
		}
	})
	t.Run("an answer without a rating comes back, what was typed kept", func(t *testing.T) {
		res := anne.post(link, url.Values{"checkin_works": {"Les agendas"}})
		caseExpect(t, res, http.StatusBadRequest)
		if res.Doc.Find("#f-checkin_rating-error").Length() != 1 || res.Doc.Find("#f-checkin_works").Text() != "Les agendas" {
			t.Error("no error, or the text is lost")
		}
	})
	t.Run("an answer is recorded and the trainer hears of it", func(t *testing.T) {
		res := anne.post(link, url.Values{"checkin_rating": {"2"}, "checkin_blocks": {"Les mots de passe"}, "checkin_help": {"training"}})
		caseExpect(t, res, http.StatusSeeOther)
		res = anne.get(res.Location)
		if !strings.Contains(caseText(res, "main"), caseT(t, "fr", "notice.checkin_thanks")) {
			t.Errorf("page %q", caseText(res, "main"))
		}
		msgs := app.mails(u.Email)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "2/5") || !strings.Contains(msgs[0].Text, "Les mots de passe") {
			t.Fatalf("trainer's mails %+v", msgs)
		}
	})
	t.Run("the same link again records nothing and says why", func(t *testing.T) {
		res := anne.post(link, url.Values{"checkin_rating": {"5"}})
		caseExpect(t, res, http.StatusConflict)
		if !strings.Contains(caseText(res, "main"), caseT(t, "fr", "checkin.closed.answered")) {
			t.Errorf("page %q", caseText(res, "main"))
		}
		ks, _ := app.Training.Checkins(context.Background(), velo.ID)
		if ks[0].Rating != 2 || len(app.mails(u.Email)) != 1 {
			t.Errorf("answer changed to %d", ks[0].Rating)
		}
	})
	t.Run("the association stops the check-ins from the link", func(t *testing.T) {
		res := anne.get(link + "/arreter")
		caseExpect(t, res, http.StatusOK)
		caseExpect(t, anne.post(link+"/arreter", nil), http.StatusSeeOther)
		res = anne.get(link + "/arreter")
		if !strings.Contains(caseText(res, "main"), caseT(t, "fr", "checkin.closed.stopped")) {
			t.Errorf("page %q", caseText(res, "main"))
		}
		c, _ := app.Training.Get(context.Background(), velo.ID)
		if !c.CheckinsStopped {
			t.Error("check-ins go on")
		}
		if r := app.caseSendDue(100 * 24 * time.Hour); r.Sent != 0 {
			t.Errorf("tick %+v", r)
		}
		caseExpect(t, anne.post("/bilan/"+strings.Repeat("B", 43)+"/arreter", nil), http.StatusNotFound)
	})
}

func TestCaseReportForFunders(t *testing.T) {
	app := newTestApp(t)
	velo := app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", time.Hour)
	app.caseSeed("h-all", "Chorale du Récif", "do@chorale.example", time.Hour)
	s := training.Session{StartsAt: time.Now().UTC().Add(-time.Minute), Minutes: 90, Format: training.FormatRemote, Topics: []string{"calendars"}, Attendees: 4}
	if err := app.Training.AddSession(context.Background(), &accounts.User{Role: accounts.RoleAdmin}, velo, &s); err != nil {
		t.Fatal(err)
	}
	staff, _ := app.caseBrowser(accounts.RoleStaff, "h-lyon", "fr")
	trainer, _ := app.caseBrowser(accounts.RoleTrainer, "h-lyon", "fr")
	admin, _ := app.caseBrowser(accounts.RoleAdmin, "", "en")
	year := time.Now().In(training.Paris).Year()
	q := fmt.Sprintf("?report_from=%d-01-01&report_to=%d-12-31", year, year)
	download := func(b *browser, query string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, app.Server.URL+"/staff/cases/report.csv"+query, nil)
		req.Header.Set("Accept-Language", b.lang)
		res, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("a host's staff downloads its own row", func(t *testing.T) {
		caseExpect(t, staff.get("/staff/cases/report"), http.StatusOK)
		res := download(staff, q+"&report_host=h-all")
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; filename=\"archipel-accompagnement-") {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
		if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
			t.Error("no byte order mark")
		}
		lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(body), "\uFEFF"), "\r\n"), "\r\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], caseT(t, "fr", "report.col.host")+";") {
			t.Fatalf("lines %q", lines)
		}
		want := fmt.Sprintf("L'Île numérique;%d-01-01;%d-12-31;1;1;1,50;4;Agendas (1);0;", year, year)
		if lines[1] != want {
			t.Errorf("row %q, want %q", lines[1], want)
		}
		if app.caseAudit("report_download") != 1 {
			t.Error("not audited")
		}
	})
	t.Run("an administrator downloads every host's rows", func(t *testing.T) {
		res := download(admin, q)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
		if len(lines) != 4 || !strings.Contains(lines[0], "Host,From,To,") || !strings.Contains(string(body), "1.50") {
			t.Errorf("CSV %q", body)
		}
	})
	t.Run("trainers get no report", func(t *testing.T) {
		caseExpect(t, trainer.get("/staff/cases/report"), http.StatusNotFound)
		caseExpect(t, trainer.get("/staff/cases/report.csv"+q), http.StatusNotFound)
	})
	t.Run("impossible dates come back on the form", func(t *testing.T) {
		res := staff.get("/staff/cases/report.csv?report_from=2026-02-30&report_to=2025-01-01")
		caseExpect(t, res, http.StatusBadRequest)
		if res.Doc.Find("#f-report_from-error").Length() != 1 || res.Doc.Find("#f-report_from").AttrOr("value", "") != "2026-02-30" {
			t.Error("no error, or the value is lost")
		}
	})
}

func TestCalendarFeedOfATrainer(t *testing.T) {
	app := newTestApp(t)
	velo := app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", time.Hour)
	trainer, u := app.caseBrowser(accounts.RoleTrainer, "h-lyon", "fr")
	if err := app.Training.AssignTrainers(context.Background(), &accounts.User{Role: accounts.RoleAdmin}, velo, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	s := training.Session{TrainerID: u.ID, StartsAt: time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute), Minutes: 60,
		Format: training.FormatOnSite, Topics: []string{"video_calls"}}
	if err := app.Training.AddSession(context.Background(), &accounts.User{Role: accounts.RoleAdmin}, velo, &s); err != nil {
		t.Fatal(err)
	}
	res := trainer.get("/staff/sessions")
	caseExpect(t, res, http.StatusOK)
	if !strings.Contains(caseText(res, "table"), "Les Amis du Vélo") {
		t.Error("the session is not listed")
	}
	res = trainer.post("/staff/sessions/feed", nil)
	caseExpect(t, res, http.StatusOK)
	feed := res.Doc.Find("#f-feed").AttrOr("value", "")
	if !strings.HasPrefix(feed, app.Server.URL+"/agenda/") || !strings.HasSuffix(feed, ".ics") {
		t.Fatalf("feed %q", feed)
	}
	anyone := app.browser("en")
	req, _ := http.NewRequest(http.MethodGet, feed, nil)
	r, err := anyone.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	ics := string(body)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("%d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	unfolded := strings.ReplaceAll(ics, "\r\n ", "")
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "UID:" + s.ID + "@archipel\r\n", "SUMMARY:Formation : Les Amis du Vélo\r\n",
		"DTSTART:" + s.StartsAt.UTC().Format("20060102T150405Z") + "\r\n", "Visioconférence"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("feed lacks %q:\n%s", want, ics)
		}
	}
	caseExpect(t, trainer.post("/staff/sessions/feed", nil), http.StatusOK)
	caseExpect(t, anyone.get(feed), http.StatusNotFound)
	caseExpect(t, anyone.get("/agenda/"+strings.Repeat("x", 43)+".ics"), http.StatusNotFound)
	if app.caseAudit("calendar_feed_new") != 2 {
		t.Error("not audited")
	}
}

func TestClosingACaseProposesTheShowcase(t *testing.T) {
	app := newTestApp(t)
	velo := app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", time.Hour)
	staff, _ := app.caseBrowser(accounts.RoleStaff, "h-lyon", "en")
	base := "/staff/cases/" + velo.ID
	caseExpect(t, staff.get(base+"/close"), http.StatusOK)
	res := staff.post(base+"/close", url.Values{"close_note": {"Autonomes"}, "version": {fmt.Sprint(velo.Version)}})
	caseExpect(t, res, http.StatusBadRequest)
	if res.Doc.Find("#f-close_outcome-error").Length() != 1 || res.Doc.Find("#f-close_note").Text() != "Autonomes" {
		t.Error("no error, or the note is lost")
	}
	caseExpect(t, staff.post(base+"/close", url.Values{"close_outcome": {"success"}, "close_note": {"Autonomes"}, "version": {fmt.Sprint(velo.Version)}}), http.StatusSeeOther)
	res = staff.get(base)
	if res.Doc.Find("a[href='"+base+"/showcase']").Length() != 1 {
		t.Error("no link to the showcase draft")
	}
	if res.Doc.Find("form[action='"+base+"/stage']").Length() != 0 {
		t.Error("a closed case can still move")
	}
	caseExpect(t, staff.post(base+"/stage", url.Values{"stage": {"training"}, "version": {"2"}}), http.StatusConflict)
	for _, st := range func() []training.CheckinStatus {
		ks, _ := app.Training.Checkins(context.Background(), velo.ID)
		var out []training.CheckinStatus
		for _, k := range ks {
			out = append(out, k.Status)
		}
		return out
	}() {
		if st != training.CheckinStopped {
			t.Errorf("check-in %s after closing", st)
		}
	}
	if app.caseAudit("case_close") != 1 {
		t.Error("not audited")
	}
}

func TestDemoMakesTimePass(t *testing.T) {
	app := newTestApp(t)
	app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", time.Hour)
	admin, _ := app.caseBrowser(accounts.RoleAdmin, "", "fr")
	trainer, _ := app.caseBrowser(accounts.RoleTrainer, "h-lyon", "fr")
	caseExpect(t, admin.post("/staff/admin/demo/advance", url.Values{"days": {"7"}}), http.StatusNotFound)
	if admin.get("/staff/cases").Doc.Find("form[action='/staff/admin/demo/advance']").Length() != 0 {
		t.Error("the demo button shows outside the demo")
	}
	app.Training.EnableDemo()
	caseExpect(t, trainer.post("/staff/admin/demo/advance", url.Values{"days": {"7"}}), http.StatusNotFound)
	caseExpect(t, admin.post("/staff/admin/demo/advance", url.Values{"days": {"0"}}), http.StatusBadRequest)
	if admin.get("/staff/cases").Doc.Find("form[action='/staff/admin/demo/advance']").Length() != 1 {
		t.Error("no demo button in the demo")
	}
	res := admin.post("/staff/admin/demo/advance", url.Values{"days": {"7"}})
	caseExpect(t, res, http.StatusSeeOther)
	if r := app.caseSendDue(time.Minute); r.Sent != 1 {
		t.Errorf("after 7 days: %+v", r)
	}
	if app.caseAudit("demo_advance") != 1 {
		t.Error("not audited")
	}
}
