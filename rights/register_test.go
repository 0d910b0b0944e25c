package rights_test

import (
	"context"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database/dbtest"
	"archipel/rights"
)

func TestRegisterIsScopedAndCountsOverdueRequests(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	seedHost(t, db, "h-a")
	seedHost(t, db, "h-b")
	exec(t, db, `INSERT INTO staff_users (id, email, name, role, host_id, created_at, updated_at) VALUES ('s-a', 's@a.example', 'Sam', 'staff', 'h-a', $1, $1)`, now)
	line := func(id, host, status string, at time.Time) {
		var answered any
		if status != "open" {
			answered = at.Add(time.Hour)
		}
		exec(t, db, `INSERT INTO rights_requests (id, kind, application_id, host_id, requested_by, requested_at, status, answered_at, answered_by)
			VALUES ($1, 'erasure', '', $2, 'association', $3, $4, $5, 's-a')`, id, host, at, status, answered)
	}
	line("a-overdue", "h-a", "open", now.Add(-rights.AnswerWithin-time.Second))
	line("a-due-today", "h-a", "open", now.Add(-rights.AnswerWithin))
	line("a-done", "h-a", "done", now.Add(-90*24*time.Hour))
	line("b-overdue", "h-b", "open", now.Add(-60*24*time.Hour))
	store := rights.NewStore(db, func() time.Time { return now })
	staffA := &accounts.User{ID: "s-a", Role: accounts.RoleStaff, HostID: "h-a"}
	admin := &accounts.User{ID: "adm", Role: accounts.RoleAdmin}

	t.Run("staff read their host's lines, open ones first, oldest first", func(t *testing.T) {
		got, err := store.Register(ctx, staffA, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if want := []string{"a-overdue", "a-due-today", "a-done"}; len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
			t.Errorf("lines %v, want %v", ids, want)
		}
		if got[2].AnsweredBy != "Sam" {
			t.Errorf("answered by %q, want the staff member's name", got[2].AnsweredBy)
		}
		if !got[0].Overdue(now) || got[1].Overdue(now) {
			t.Error("overdue marks wrong at the one-month boundary")
		}
	})
	t.Run("an administrator reads every host's", func(t *testing.T) {
		got, err := store.Register(ctx, admin, 0)
		if err != nil || len(got) != 4 {
			t.Fatalf("%d lines, err %v", len(got), err)
		}
	})
	t.Run("a trainer may not read it", func(t *testing.T) {
		_, err := store.Register(ctx, &accounts.User{Role: accounts.RoleTrainer, HostID: "h-a"}, 0)
		if apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("err = %v", err)
		}
	})
	for _, tc := range []struct {
		name          string
		user          *accounts.User
		open, overdue int
	}{
		{"staff count their host's waiting and overdue requests", staffA, 2, 1},
		{"an administrator counts every host's", admin, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open, overdue, err := store.Waiting(ctx, tc.user)
			if err != nil || open != tc.open || overdue != tc.overdue {
				t.Errorf("open %d overdue %d (err %v), want %d and %d", open, overdue, err, tc.open, tc.overdue)
			}
		})
	}
}
