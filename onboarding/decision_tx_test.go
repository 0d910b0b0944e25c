package onboarding_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/database"
	"archipel/onboarding"
)

// TestDecisionsCommitWithTheirAuditLine checks that each decision, its
// timeline entry and its audit line commit in one transaction: a normal
// decision leaves exactly one audit line; when the audit write fails,
// neither the status change nor any audit line is kept.
func TestDecisionsCommitWithTheirAuditLine(t *testing.T) {
	slot := onboarding.Slot{Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), Duration: time.Hour, Mode: onboarding.ModePhone}
	decisions := []struct {
		name   string
		action accounts.Action
		status onboarding.Status
		decide func(ctx context.Context, s *onboarding.Store, a *onboarding.Application, then ...database.Then) error
	}{
		{"decline", "declined", onboarding.StatusDeclined, func(ctx context.Context, s *onboarding.Store, a *onboarding.Application, then ...database.Then) error {
			return s.DeclineRequest(ctx, a, onboarding.Decline{Reason: "Nous sommes complets."}, as("staff@ile.example"), then...)
		}},
		{"ask for more", "info_requested", onboarding.StatusInfoRequested, func(ctx context.Context, s *onboarding.Store, a *onboarding.Application, then ...database.Then) error {
			return s.RequestInfo(ctx, a, onboarding.InfoRequest{Steps: []string{"besoins"}, Message: "Précisez."}, as("staff@ile.example"), then...)
		}},
		{"plan an interview", "interview_planned", onboarding.StatusInterviewPlanned, func(ctx context.Context, s *onboarding.Store, a *onboarding.Application, then ...database.Then) error {
			var after []onboarding.AfterSchedule
			for _, fn := range then {
				after = append(after, func(*onboarding.Interview, bool) database.Then { return fn })
			}
			_, _, err := s.ScheduleInterview(ctx, a, slot, as("staff@ile.example"), after...)
			return err
		}},
	}
	for _, d := range decisions {
		t.Run(d.name, func(t *testing.T) {
			f := newStoreFixture(t)
			ctx := context.Background()
			staff := f.seedStaff("u-dom", "Dominique", "staff", "h-ile")
			audit := accounts.NewStore(f.db, nil)
			count := func(id string) (n int) {
				t.Helper()
				if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE application_id = $1`, id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			stored := func(id string) onboarding.Status {
				t.Helper()
				var st string
				if err := f.db.QueryRowContext(ctx, `SELECT status FROM applications WHERE id = $1`, id).Scan(&st); err != nil {
					t.Fatal(err)
				}
				return onboarding.Status(st)
			}

			t.Run("a failing audit write keeps nothing", func(t *testing.T) {
				a := f.submitted("", "anne@example.org")
				before := *a
				// The audit write itself fails: its context is over.
				gone, cancel := context.WithCancel(ctx)
				cancel()
				err := d.decide(ctx, f.store, a, audit.RecordIn(gone, staff, d.action, "h-ile", a.ID, ""))
				if err == nil {
					t.Fatal("the decision went through without its audit line")
				}
				if st := stored(a.ID); st != onboarding.StatusSubmitted {
					t.Errorf("status kept: %s", st)
				}
				if n := count(a.ID); n != 0 {
					t.Errorf("%d audit lines kept", n)
				}
				if a.Status != before.Status || a.Version != before.Version {
					t.Errorf("the request in memory moved: %s v%d", a.Status, a.Version)
				}
				events, _ := f.store.Events(ctx, a.ID, false)
				for _, e := range events {
					if e.Kind == string(d.status) {
						t.Errorf("timeline entry %q kept", e.Kind)
					}
				}
			})
			t.Run("what follows the audit line failing undoes it too", func(t *testing.T) {
				a := f.submitted("", "bea@example.org")
				refused := errors.New("outbox refused")
				err := d.decide(ctx, f.store, a, audit.RecordIn(ctx, staff, d.action, "h-ile", a.ID, ""),
					func(*sql.Tx) error { return refused })
				if !errors.Is(err, refused) {
					t.Fatalf("err = %v", err)
				}
				if st, n := stored(a.ID), count(a.ID); st != onboarding.StatusSubmitted || n != 0 {
					t.Errorf("status %s and %d audit lines kept", st, n)
				}
			})
			t.Run("a decision leaves exactly one audit line", func(t *testing.T) {
				a := f.submitted("", "carole@example.org")
				if err := d.decide(ctx, f.store, a, audit.RecordIn(ctx, staff, d.action, "h-ile", a.ID, "")); err != nil {
					t.Fatal(err)
				}
				if st := stored(a.ID); st != d.status || a.Status != d.status {
					t.Errorf("status %s (in memory %s)", st, a.Status)
				}
				var n int
				var action, actor string
				if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(action), MIN(actor_id) FROM audit_log WHERE application_id = $1`, a.ID).Scan(&n, &action, &actor); err != nil {
					t.Fatal(err)
				}
				if n != 1 || action != string(d.action) || actor != staff.ID {
					t.Errorf("audit: %d lines, %q by %q", n, action, actor)
				}
			})
		})
	}
}
