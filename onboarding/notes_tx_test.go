package onboarding_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/database"
	"archipel/onboarding"
)

// TestNotesCommitWithTheirAuditLine checks that a note and the interview
// guide's notes commit with their audit line: when the audit write fails,
// nothing is kept; otherwise both are, once.
func TestNotesCommitWithTheirAuditLine(t *testing.T) {
	slot := onboarding.Slot{Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), Duration: time.Hour, Mode: onboarding.ModePhone}
	for _, w := range []struct {
		name   string
		action accounts.Action
		do     func(ctx context.Context, s *onboarding.Store, u *accounts.User, a *onboarding.Application, audit database.Then) error
		kept   string // what the database shows once it is done
	}{
		{"a note", "note_added", func(ctx context.Context, s *onboarding.Store, u *accounts.User, a *onboarding.Application, audit database.Then) error {
			_, err := s.AddNote(ctx, u, a.ID, onboarding.NoteForm{Body: "Trésorier joignable le soir."}, func(*onboarding.Note) database.Then { return audit })
			return err
		}, `SELECT COUNT(*) FROM application_notes WHERE application_id = $1 AND body = 'Trésorier joignable le soir.'`},
		{"the interview guide", "interview_notes_saved", func(ctx context.Context, s *onboarding.Store, u *accounts.User, a *onboarding.Application, audit database.Then) error {
			return s.SaveGuideNotes(ctx, u, a.ID, onboarding.GuideNotes{"activity": "Atelier vélo"}, audit)
		}, `SELECT COUNT(*) FROM interviews WHERE application_id = $1 AND notes LIKE '%Atelier vélo%'`},
	} {
		t.Run(w.name, func(t *testing.T) {
			f := newStoreFixture(t)
			ctx := context.Background()
			staff := f.seedStaff("u-dom", "Dominique", "staff", "h-ile")
			audit := accounts.NewStore(f.db, nil)
			a := f.submitted("", "anne@example.org")
			if _, _, err := f.store.ScheduleInterview(ctx, a, slot, staff); err != nil {
				t.Fatal(err)
			}
			count := func(q string) (n int) {
				t.Helper()
				if err := f.db.QueryRowContext(ctx, q, a.ID).Scan(&n); err != nil && err != sql.ErrNoRows {
					t.Fatal(err)
				}
				return n
			}
			lines := `SELECT COUNT(*) FROM audit_log WHERE application_id = $1 AND action = '` + string(w.action) + `'`
			gone, cancel := context.WithCancel(ctx)
			cancel()
			if err := w.do(ctx, f.store, staff, a, audit.RecordIn(gone, staff, w.action, a.HostID, a.ID, "")); err == nil {
				t.Fatal("kept without its audit line")
			}
			if count(w.kept) != 0 || count(lines) != 0 {
				t.Errorf("a failing audit write kept %d changes, %d audit lines", count(w.kept), count(lines))
			}
			if err := w.do(ctx, f.store, staff, a, audit.RecordIn(ctx, staff, w.action, a.HostID, a.ID, "")); err != nil {
				t.Fatal(err)
			}
			if count(w.kept) != 1 || count(lines) != 1 {
				t.Errorf("kept %d changes, %d audit lines; want 1, 1", count(w.kept), count(lines))
			}
		})
	}
}
