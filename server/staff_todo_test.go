package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
	"archipel/onboarding"
)

func TestTheDashboardCountsWhatWaitsForMe(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := app.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Five requests to L'Île numérique, one to Récif solidaire.
	ids := map[string]string{}
	for _, n := range []string{"Nouvelle Une", "Nouvelle Deux", "Entretien Bientôt", "Entretien Passé", "Espace Prêt"} {
		_, ids[n] = app.reqSubmit("fr", strings.ReplaceAll(strings.ToLower(n), " ", ".")+"@asso.example", n)
	}
	answers := reqAnswers("recif@asso.example", "Chez Récif", "recif-solidaire")
	adminSubmitRequest(t, app, "fr", answers)

	now := time.Now().UTC()
	interview := func(id string, at time.Time) {
		exec(`UPDATE applications SET status = 'interview_planned' WHERE id = $1`, id)
		exec(`INSERT INTO interviews (id, application_id, host_id, scheduled_at, mode, status, created_by, created_at, updated_at)
			VALUES ($1, $1, 'h-lyon', $2, 'phone', 'planned', 'test', $3, $3)`, id, at, now)
	}
	soon, past := now.Add(time.Hour), now.Add(-time.Hour)
	interview(ids["Entretien Bientôt"], soon)
	interview(ids["Entretien Passé"], past)
	exec(`UPDATE applications SET status = 'ready' WHERE id = $1`, ids["Espace Prêt"])
	exec(`INSERT INTO cases (id, application_id, host_id, stage, opened_at, updated_at) VALUES ('case-1', $1, 'h-lyon', 'welcome', $2, $2)`,
		ids["Espace Prêt"], now)
	exec(`INSERT INTO case_flags (case_id, flag, raised_at) VALUES ('case-1', 'checkin_unanswered', $1)`, now)

	// The week as the dashboard counts it, Monday to Sunday in Paris.
	local := now.In(onboarding.Paris)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, onboarding.Paris)
	start := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	thisWeek := 0
	for _, at := range []time.Time{soon, past} {
		if !at.Before(start) && at.Before(start.AddDate(0, 0, 7)) {
			thisWeek++
		}
	}

	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	page := staff.get("/staff")
	adminExpect(t, page, http.StatusOK, "")
	counts := map[string]string{}
	page.Doc.Find(".todo-counts a").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		counts[strings.Join(strings.Fields(s.Text()), " ")] = href
	})
	for _, want := range []struct {
		text, href string
	}{
		{adminT(t, "fr", "todo.new", "Count", 2), "/staff/requests?filter_status=submitted"},
		{adminT(t, "fr", "todo.interviews", "Count", thisWeek), "/staff/requests?filter_status=interview_planned&sort=oldest"},
		{adminT(t, "fr", "todo.decisions", "Count", 1), "/staff/requests?filter_status=interview_planned&sort=oldest"},
		{adminT(t, "fr", "todo.flagged", "Count", 1), "/staff/cases#flagged"},
		{adminT(t, "fr", "todo.untrained", "Count", 1), "/staff/cases/board"},
	} {
		if href, ok := counts[want.text]; !ok || href != want.href {
			t.Errorf("no %q linking %s among %v", want.text, want.href, counts)
		}
	}
	list := adminText(page, "main")
	for _, n := range []string{"Nouvelle Une", "Nouvelle Deux", "Entretien Passé", "Espace Prêt"} {
		if !strings.Contains(list, n) {
			t.Errorf("the dashboard does not list %s", n)
		}
	}
	if strings.Contains(list, "Chez Récif") {
		t.Error("another host's request is on the dashboard")
	}
	for _, link := range []string{"/staff/requests/" + ids["Nouvelle Une"], "/staff/cases/case-1"} {
		if page.Doc.Find(`a[href="`+link+`"]`).Length() == 0 {
			t.Errorf("no link to %s", link)
		}
	}

	other := app.staffBrowser(accounts.RoleStaff, "h-all")
	if got := adminText(other.get("/staff"), ".todo-counts"); !strings.Contains(got, adminT(t, "fr", "todo.new", "Count", 1)) {
		t.Errorf("Récif's staff see %q", got)
	}
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	if got := adminText(admin.get("/staff"), ".todo-counts"); !strings.Contains(got, adminT(t, "fr", "todo.new", "Count", 3)) {
		t.Errorf("the administrator sees %q, want every host's new requests", got)
	}
}
