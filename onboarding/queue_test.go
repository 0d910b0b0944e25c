package onboarding_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

// queueAdmin is an administrator reading the whole queue.
var queueAdmin = &accounts.User{ID: "u-admin", Email: "admin@archipel.example", Role: accounts.RoleAdmin}

// seedStaff adds a staff account, for assignment.
func (f *storeFixture) seedStaff(id, name, role, hostID string) *accounts.User {
	f.t.Helper()
	var host any
	if hostID != "" {
		host = hostID
	}
	if _, err := f.db.ExecContext(context.Background(), `INSERT INTO staff_users (id, email, name, role, host_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, id, id+"@staff.example", name, role, host, time.Now().UTC()); err != nil {
		f.t.Fatalf("seed staff: %v", err)
	}
	return &accounts.User{ID: id, Email: id + "@staff.example", Name: name, Role: accounts.Role(role), HostID: hostID, Active: true}
}

func TestQueueSearchSortAndPages(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	velo := f.named("Vélo Solidaire", "contact@velo.example", func(a *onboarding.Answers) {
		a.Association.Town = "Saint-Étienne"
		a.Association.LegalID = "W691234567"
	})
	chorale := f.named("Chorale du Lac", "b@chorale.example", func(a *onboarding.Answers) {
		a.Host.Choice = "recif-solidaire"
		a.Members.ContactName = "Camille Martin"
	})
	f.named("Atelier 100%", "c@atelier.example", nil)
	if err := f.store.Transition(ctx, nil, chorale, onboarding.StatusInterviewPlanned, "x", ""); err != nil {
		t.Fatal(err)
	}
	_ = velo
	staffIle := f.seedStaff("u-ile", "Dominique", "staff", "h-ile")
	tests := []struct {
		name   string
		actor  *accounts.User
		filter onboarding.QueueFilter
		want   []string
	}{
		{"a search without accents finds a town with them", queueAdmin, onboarding.QueueFilter{Search: "saint etienne"}, []string{"Vélo Solidaire"}},
		{"a search finds the contact's name, whatever its case", queueAdmin, onboarding.QueueFilter{Search: "CAMILLE"}, []string{"Chorale du Lac"}},
		{"a search finds an e-mail address", queueAdmin, onboarding.QueueFilter{Search: "b@chorale"}, []string{"Chorale du Lac"}},
		{"a search finds an RNA number", queueAdmin, onboarding.QueueFilter{Search: "w691234567"}, []string{"Vélo Solidaire"}},
		{"a typed % is a character, not a wildcard", queueAdmin, onboarding.QueueFilter{Search: "100%"}, []string{"Atelier 100%"}},
		{"a % alone matches no name without one", queueAdmin, onboarding.QueueFilter{Search: "o%"}, nil},
		{"every word must match", queueAdmin, onboarding.QueueFilter{Search: "vélo lac"}, nil},
		{"the newest come first when asked", queueAdmin, onboarding.QueueFilter{Sort: "newest"}, []string{"Atelier 100%", "Chorale du Lac", "Vélo Solidaire"}},
		{"by name", queueAdmin, onboarding.QueueFilter{Sort: "name"}, []string{"Atelier 100%", "Chorale du Lac", "Vélo Solidaire"}},
		{"by status, in the order of the queue", queueAdmin, onboarding.QueueFilter{Sort: "status"}, []string{"Vélo Solidaire", "Atelier 100%", "Chorale du Lac"}},
		{"by host name", queueAdmin, onboarding.QueueFilter{Sort: "host"}, []string{"Vélo Solidaire", "Atelier 100%", "Chorale du Lac"}},
		{"a staff member sees only their host, whatever host they ask for", staffIle, onboarding.QueueFilter{HostID: "h-recif"}, []string{"Vélo Solidaire", "Atelier 100%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.store.Queue(ctx, tt.actor, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := queueNames(t, res.Items); !slices.Equal(got, tt.want) {
				t.Errorf("queue = %q, want %q", got, tt.want)
			}
			if res.Total != len(tt.want) {
				t.Errorf("total = %d, want %d", res.Total, len(tt.want))
			}
		})
	}
	t.Run("staff asking for another host's filter see nothing of it in the export or the counts", func(t *testing.T) {
		other := onboarding.QueueFilter{HostID: "h-recif"}
		items, err := f.store.QueueExport(ctx, staffIle, other)
		if err != nil {
			t.Fatal(err)
		}
		if got := queueNames(t, items); !slices.Equal(got, []string{"Vélo Solidaire", "Atelier 100%"}) {
			t.Errorf("export = %q", got)
		}
		counts, err := f.store.QueueCounts(ctx, staffIle, other)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, c := range counts {
			total += c.Count
		}
		if total != 2 {
			t.Errorf("counts = %+v, want the 2 requests of their own host", counts)
		}
	})
	t.Run("a staff account without a host sees nothing", func(t *testing.T) {
		_, err := f.store.Queue(ctx, &accounts.User{ID: "x", Role: accounts.RoleStaff}, onboarding.QueueFilter{})
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("err = %v, want not found", err)
		}
		if _, err := f.store.QueueCounts(ctx, nil, onboarding.QueueFilter{}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("err = %v, want forbidden without an actor", err)
		}
	})
}

func TestQueuePagesHaveATotalAndNeverStopSilently(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	n := onboarding.QueuePerPage*2 + 7
	for i := 0; i < n; i++ {
		f.named(fmt.Sprintf("Association %03d", i), fmt.Sprintf("a%d@example.org", i), nil)
	}
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		res, err := f.store.Queue(ctx, queueAdmin, onboarding.QueueFilter{Page: page})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != n || res.Pages != 3 || res.Page != page {
			t.Fatalf("page %d: total %d pages %d page %d", page, res.Total, res.Pages, res.Page)
		}
		for _, it := range res.Items {
			if seen[it.ID] {
				t.Fatalf("page %d repeats %s", page, it.Answers.Association.Name)
			}
			seen[it.ID] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("the pages list %d requests, want %d", len(seen), n)
	}
	res, err := f.store.Queue(ctx, queueAdmin, onboarding.QueueFilter{Page: 99})
	if err != nil || res.Page != 3 || len(res.Items) != 7 {
		t.Fatalf("a page past the end: %+v, %v", res, err)
	}
	all, err := f.store.QueueExport(ctx, queueAdmin, onboarding.QueueFilter{})
	if err != nil || len(all) != n {
		t.Fatalf("export lists %d, want %d (%v)", len(all), n, err)
	}
}

func TestAssignAndAssignedToMe(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	velo := f.named("Vélo", "a@velo.example", nil)
	f.named("Jardin", "c@jardin.example", nil)
	chorale := f.named("Chorale", "b@chorale.example", func(a *onboarding.Answers) { a.Host.Choice = "recif-solidaire" })
	dominique := f.seedStaff("u-dom", "Dominique", "staff", "h-ile")
	recif := f.seedStaff("u-recif", "Sacha", "staff", "h-recif")
	trainer := f.seedStaff("u-trainer", "Noa", "trainer", "h-ile")

	if err := f.store.Assign(ctx, dominique, velo, dominique.ID); err != nil {
		t.Fatal(err)
	}
	res, err := f.store.Queue(ctx, dominique, onboarding.QueueFilter{Mine: true})
	if err != nil || !slices.Equal(queueNames(t, res.Items), []string{"Vélo"}) || res.Items[0].AssigneeName != "Dominique" {
		t.Fatalf("assigned to me = %+v, %v", res, err)
	}
	if a, err := f.store.Assignment(ctx, velo.ID); err != nil || a.Name != "Dominique" {
		t.Fatalf("assignment = %+v, %v", a, err)
	}
	var action, detail string
	if err := f.db.QueryRowContext(ctx, `SELECT action, detail FROM audit_log WHERE application_id = $1`, velo.ID).Scan(&action, &detail); err != nil || action != "assigned" {
		t.Fatalf("audit = %q %q %v", action, detail, err)
	}
	for _, tt := range []struct {
		name     string
		actor    *accounts.User
		app      *onboarding.Application
		assignee string
		want     apperr.Code
	}{
		{"to another host's staff member is refused", dominique, velo, recif.ID, apperr.Invalid},
		{"to a trainer is refused", dominique, velo, trainer.ID, apperr.Invalid},
		{"by a trainer is refused", trainer, velo, trainer.ID, apperr.Forbidden},
		{"another host's request is not found", dominique, chorale, dominique.ID, apperr.NotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.store.Assign(ctx, tt.actor, tt.app, tt.assignee); apperr.CodeOf(err) != tt.want {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if err := f.store.Assign(ctx, queueAdmin, velo, ""); err != nil {
		t.Fatal(err)
	}
	if res, err := f.store.Queue(ctx, dominique, onboarding.QueueFilter{Mine: true}); err != nil || res.Total != 0 {
		t.Fatalf("after unassigning: %+v, %v", res, err)
	}
}

// as is an administrator named email: it acts in tests whose subject is
// not who may decide, and signs the timeline with that address.
func as(email string) *accounts.User {
	return &accounts.User{ID: email, Email: email, Role: accounts.RoleAdmin}
}
