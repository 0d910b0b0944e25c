package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/onboarding"
)

// queueClone copies a submitted request under another name, town and
// e-mail, sent at another time: many requests without filling the flow
// each time.
func (a *testApp) queueClone(fromID, name, town, email string, sent time.Time) string {
	a.t.Helper()
	ctx := context.Background()
	var raw string
	if err := a.DB.QueryRowContext(ctx, `SELECT answers FROM applications WHERE id = $1`, fromID).Scan(&raw); err != nil {
		a.t.Fatal(err)
	}
	var ans onboarding.Answers
	if err := json.Unmarshal([]byte(raw), &ans); err != nil {
		a.t.Fatal(err)
	}
	ans.Association.Name, ans.Association.Town, ans.Association.ContactEmail = name, town, email
	b, _ := json.Marshal(ans)
	id := uuid.NewString()
	if _, err := a.DB.ExecContext(ctx, `INSERT INTO applications (id, status, step, language, answers, association_name,
		departement, services, legal_id, contact_email, version, created_at, updated_at, submitted_at, host_id, search_text)
		SELECT $1, status, step, language, $2, $3, departement, services, legal_id, $4, version, created_at, updated_at, $5, host_id, $6
		FROM applications WHERE id = $7`, id, string(b), name, email, sent, onboarding.Fold(name+" "+town+" "+email), fromID); err != nil {
		a.t.Fatal(err)
	}
	return id
}

// queueNames are the associations a queue page lists, in order.
func queueNames(res *response) []string {
	var out []string
	for _, n := range res.Doc.Find("table tbody tr td:first-child a").Nodes {
		if n.FirstChild != nil {
			out = append(out, n.FirstChild.Data)
		}
	}
	return out
}

func TestQueueSearchSortPagesAndCSV(t *testing.T) {
	app := newTestApp(t)
	_, first := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	now := time.Now()
	app.queueClone(first, "Chorale de Saint-Étienne", "Saint-Étienne", "chorale@example.org", now.Add(-48*time.Hour))
	app.queueClone(first, "=HYPERLINK(\"http://evil.example\")", "Lyon", "evil@example.org", now.Add(-72*time.Hour))
	for i := 0; i < onboarding.QueuePerPage+3; i++ {
		app.queueClone(first, fmt.Sprintf("Club %02d", i), "Villeurbanne", fmt.Sprintf("club%d@example.org", i), now.Add(-time.Duration(100+i)*time.Hour))
	}
	total := onboarding.QueuePerPage + 6
	staff, me := app.staffBrowserUser(accounts.RoleStaff, "h-lyon")
	other := app.staffBrowser(accounts.RoleStaff, "h-all")

	t.Run("the heading gives the total and the list is paged, never cut silently", func(t *testing.T) {
		res := staff.get("/staff/requests")
		reqExpect(t, res, http.StatusOK, "")
		adminHasText(t, res, "#results", adminT(t, "fr", "req.queue.results", "N", total))
		if n := len(queueNames(res)); n != onboarding.QueuePerPage {
			t.Fatalf("first page lists %d requests", n)
		}
		next, ok := res.Doc.Find(`a[rel="next"]`).Attr("href")
		if !ok {
			t.Fatal("no link to the next page")
		}
		res = staff.get(next)
		reqExpect(t, res, http.StatusOK, "")
		if n := len(queueNames(res)); n != total-onboarding.QueuePerPage {
			t.Fatalf("second page lists %d requests", n)
		}
		if res.Doc.Find(`a[rel="prev"]`).Length() != 1 || res.Doc.Find(`a[rel="next"]`).Length() != 0 {
			t.Error("the last page should link back only")
		}
	})

	t.Run("search finds a town without its accents, and sorting changes the order", func(t *testing.T) {
		res := staff.get("/staff/requests?q=saint+etienne")
		if got := queueNames(res); !slices.Equal(got, []string{"Chorale de Saint-Étienne"}) {
			t.Fatalf("search: %q", got)
		}
		res = staff.get("/staff/requests?sort=newest")
		if got := queueNames(res); len(got) < 2 || got[0] != "Les Amis du Vélo" || got[1] != "Chorale de Saint-Étienne" {
			t.Fatalf("newest first: %q", got[:2])
		}
		res = staff.get("/staff/requests?sort=name&q=club")
		if got := queueNames(res); len(got) != onboarding.QueuePerPage || got[0] != "Club 00" || got[1] != "Club 01" {
			t.Fatalf("by name: %q", got)
		}
		res = staff.get("/staff/requests?sort=nope")
		reqExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"sort": "err.choice"})
	})

	t.Run("a request sent today reads today, not 0 days ago", func(t *testing.T) {
		res := staff.get("/staff/requests?sort=newest")
		row := res.Doc.Find("table tbody tr").First()
		if txt := row.Text(); !strings.Contains(txt, adminT(t, "fr", "req.queue.today")) || strings.Contains(txt, "0 j") {
			t.Errorf("first row: %q", strings.Join(strings.Fields(txt), " "))
		}
	})

	t.Run("another host's staff find nothing of this host, even by searching", func(t *testing.T) {
		res := other.get("/staff/requests?q=velo&host=h-lyon")
		reqExpect(t, res, http.StatusOK, "")
		if got := queueNames(res); len(got) != 0 {
			t.Fatalf("another host sees %q", got)
		}
		res = other.get("/staff/requests.csv?host=h-lyon")
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff")))
		rows, err := r.ReadAll()
		if err != nil || len(rows) != 1 {
			t.Fatalf("another host's CSV has %d rows (%v)", len(rows), err)
		}
	})

	t.Run("a request assigned to me is in 'assigned to me'", func(t *testing.T) {
		page := "/staff/requests/" + first
		reqExpect(t, staff.post(page+"/assign", url.Values{"assignee": {"me"}}), http.StatusSeeOther, page+"?notice=followed")
		res := staff.get("/staff/requests?mine=1")
		if got := queueNames(res); !slices.Equal(got, []string{"Les Amis du Vélo"}) {
			t.Fatalf("assigned to me: %q", got)
		}
		adminHasText(t, res, "table", me.Name)
		res = staff.post(page+"/assign", url.Values{"assignee": {"nobody-at-all"}})
		reqExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"assignee": "err.assignee"})
		res = staff.get(page)
		adminHasText(t, res, "#audit ~ div", adminT(t, "fr", "req.audit.assigned"))
	})

	t.Run("the CSV lists the whole filtered list, formula-safe, in the reader's language", func(t *testing.T) {
		res := staff.get("/staff/requests")
		href, ok := res.Doc.Find(`a[href^="/staff/requests.csv"]`).Attr("href")
		if !ok {
			t.Fatal("no CSV link")
		}
		res = staff.get(href)
		reqExpect(t, res, http.StatusOK, "")
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(res.Body, "\ufeff") {
			t.Fatalf("type %q", res.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != total+1 || rows[0][0] != adminT(t, "fr", "req.queue.association") {
			t.Fatalf("%d rows, header %q", len(rows), rows[0])
		}
		found := false
		for _, r := range rows[1:] {
			for _, cell := range r {
				if strings.HasPrefix(cell, "=") || strings.HasPrefix(cell, "+") || strings.HasPrefix(cell, "@") {
					t.Errorf("cell read as a formula: %q", cell)
				}
			}
			if r[0] == `'=HYPERLINK("http://evil.example")` {
				found = true
			}
			if r[7] == "submitted" {
				t.Errorf("raw status code in the CSV: %q", r)
			}
		}
		if !found {
			t.Error("the formula-looking name is not kept with a leading apostrophe")
		}
		res = staff.get("/staff/requests.csv?q=saint")
		rows, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
		if len(rows) != 2 || rows[1][0] != "Chorale de Saint-Étienne" {
			t.Fatalf("filtered CSV: %q", rows)
		}
	})
}
