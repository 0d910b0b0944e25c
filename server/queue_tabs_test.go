package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/onboarding"
)

// TestQueueTabsMatchTheListsTheyOpen checks that each status count of the
// queue is the number of requests the list it links to shows, and that a
// workspace creation that stopped (failed, waiting for staff, cancelled)
// is counted and listed as stopped, not as approved or being created.
func TestQueueTabsMatchTheListsTheyOpen(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	seeds := []struct {
		status onboarding.Status
		job    string // the provisioning job's status, if any
		tab    onboarding.Status
	}{
		{onboarding.StatusSubmitted, "", onboarding.StatusSubmitted},
		{onboarding.StatusApproved, "pending", onboarding.StatusApproved},
		{onboarding.StatusProvisioning, "running", onboarding.StatusProvisioning},
		{onboarding.StatusProvisioning, "retry", onboarding.StatusProvisioning},
		{onboarding.StatusProvisioning, "needs_attention", onboarding.QueueStopped},
		{onboarding.StatusProvisioning, "failed", onboarding.QueueStopped},
		{onboarding.StatusApproved, "cancelled", onboarding.QueueStopped},
		{onboarding.StatusReady, "succeeded", onboarding.StatusReady},
	}
	want := map[onboarding.Status]int{}
	for i, s := range seeds {
		_, id := app.reqSubmit("fr", fmt.Sprintf("tab%d@asso.example", i), fmt.Sprintf("Association %c", 'A'+i))
		if _, err := app.DB.ExecContext(ctx, `UPDATE applications SET status = $1 WHERE id = $2`, string(s.status), id); err != nil {
			t.Fatal(err)
		}
		if s.job != "" {
			now := time.Now().UTC()
			if _, err := app.DB.ExecContext(ctx, `INSERT INTO provisioning_jobs (id, application_id, host_id, status, plan, next_run_at, created_at, updated_at)
				VALUES ($1, $2, 'h-lyon', $3, '{}', $4, $4, $4)`, uuid.NewString(), id, s.job, now); err != nil {
				t.Fatal(err)
			}
		}
		want[s.tab]++
	}

	for _, role := range []accounts.Role{accounts.RoleAdmin, accounts.RoleStaff} {
		t.Run("for "+string(role), func(t *testing.T) {
			b := app.staffBrowser(role, map[accounts.Role]string{accounts.RoleStaff: "h-lyon"}[role])
			res := b.get("/staff/requests")
			reqExpect(t, res, http.StatusOK, "")
			links := res.Doc.Find("ul.counts li")
			if links.Length() != len(onboarding.QueueStatuses) {
				t.Fatalf("%d tabs", links.Length())
			}
			links.Each(func(_ int, li *goquery.Selection) {
				href, _ := li.Find("a").Attr("href")
				label := strings.TrimSpace(li.Find("a").Text())
				count, err := strconv.Atoi(strings.TrimSpace(li.Find("strong").Text()))
				if err != nil {
					t.Fatalf("tab %q: count %q", label, li.Find("strong").Text())
				}
				status := onboarding.Status(strings.TrimPrefix(href, "/staff/requests?filter_status="))
				if count != want[status] {
					t.Errorf("tab %q counts %d, want %d", label, count, want[status])
				}
				list := b.get(href)
				reqExpect(t, list, http.StatusOK, "")
				rows := list.Doc.Find("table tbody tr")
				if rows.Length() != count {
					t.Errorf("tab %q counts %d, its list shows %d", label, count, rows.Length())
				}
				rows.Each(func(_ int, tr *goquery.Selection) {
					if tag := strings.TrimSpace(tr.Find(".tag").Last().Text()); tag != label {
						t.Errorf("tab %q lists a request shown as %q", label, tag)
					}
				})
			})
		})
	}
}
