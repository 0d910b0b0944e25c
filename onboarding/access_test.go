package onboarding_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

// The access matrix, in the domain: every way a staff member reaches a
// request (read it, decide on it, transfer it, read its notes) for every
// role on the request's host, on another host, and none; on SQLite and on
// PostgreSQL (ARCHIPEL_TEST_POSTGRES).
func TestAccessMatrixOfRequests(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	draft, _ := f.create("", "bob@example.org")
	own, other := a.HostID, ""
	for _, h := range f.hosts {
		if h.ID != own {
			other = h.ID
		}
	}
	author := &accounts.User{ID: "author", Role: accounts.RoleStaff, HostID: own}
	if _, err := f.store.AddNote(ctx, author, a.ID, onboarding.NoteForm{Body: "Note"}); err != nil {
		t.Fatal(err)
	}
	slot := onboarding.Slot{Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), Duration: time.Hour, Mode: onboarding.ModePhone}
	if _, _, err := f.store.ScheduleInterview(ctx, a, slot, as("author")); err != nil {
		t.Fatal(err)
	}
	guide := func() string {
		t.Helper()
		iv, err := f.store.Interview(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return iv.Notes["activity"]
	}
	for _, tc := range []struct {
		name                     string
		actor                    *accounts.User
		sees, decides, transfers bool
	}{
		{"an administrator", &accounts.User{ID: "1", Role: accounts.RoleAdmin}, true, true, true},
		{"staff of the request's host", &accounts.User{ID: "2", Role: accounts.RoleStaff, HostID: own}, true, true, true},
		{"a trainer of the request's host", &accounts.User{ID: "3", Role: accounts.RoleTrainer, HostID: own}, true, false, false},
		{"staff of another host", &accounts.User{ID: "4", Role: accounts.RoleStaff, HostID: other}, false, true, false},
		{"a trainer of another host", &accounts.User{ID: "5", Role: accounts.RoleTrainer, HostID: other}, false, false, false},
		{"a staff account without host", &accounts.User{ID: "6", Role: accounts.RoleStaff}, false, true, false},
		{"nobody", nil, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.store.ForStaff(ctx, tc.actor, a.ID)
			switch {
			case tc.sees && (err != nil || got.ID != a.ID):
				t.Errorf("does not see the request: %v", err)
			case !tc.sees && !errors.Is(err, apperr.ErrNotFound):
				t.Errorf("sees the request: %v, %v", got, err)
			}
			if _, err := f.store.ForStaff(ctx, tc.actor, draft.ID); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("sees a draft: %v", err)
			}
			if _, err := f.store.ForStaff(ctx, tc.actor, "no-such-request"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("an unknown request: %v", err)
			}
			// Deciding needs the role and, through ForStaff, the host.
			if onboarding.MayDecide(tc.actor) != tc.decides {
				t.Errorf("may decide: %t", onboarding.MayDecide(tc.actor))
			}
			if a.MayTransfer(tc.actor) != tc.transfers {
				t.Errorf("may transfer: %t", a.MayTransfer(tc.actor))
			}
			if tc.actor == nil {
				return
			}
			notes, err := f.store.Notes(ctx, tc.actor, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The first note, the author's (the rows below add others).
			if (len(notes) > 0 && notes[0].AuthorID == "author") != tc.sees {
				t.Errorf("reads %d notes", len(notes))
			}
		})
		// Adding a note needs to see the request; keeping the interview
		// guide, to see it and to decide. Refused, both answer not found
		// and keep nothing.
		t.Run(tc.name+" adds a note only where it reads", func(t *testing.T) {
			for _, id := range []string{a.ID, draft.ID} {
				n, err := f.store.AddNote(ctx, tc.actor, id, onboarding.NoteForm{Body: "Par " + tc.name})
				switch {
				case tc.sees && id == a.ID && (err != nil || n.ID == 0):
					t.Errorf("refused: %v", err)
				case (!tc.sees || id == draft.ID) && !errors.Is(err, apperr.ErrNotFound):
					t.Errorf("note on %s: %v, want not found", id, err)
				}
			}
			var kept int
			if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM application_notes WHERE body = $1`, "Par "+tc.name).Scan(&kept); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.sees]; kept != want {
				t.Errorf("%d notes kept, want %d", kept, want)
			}
		})
		t.Run(tc.name+" keeps the interview guide only where it decides", func(t *testing.T) {
			err := f.store.SaveGuideNotes(ctx, tc.actor, a.ID, onboarding.GuideNotes{"activity": "Par " + tc.name})
			if tc.sees && tc.decides {
				if err != nil || guide() != "Par "+tc.name {
					t.Errorf("refused: %v (guide %q)", err, guide())
				}
				return
			}
			if !errors.Is(err, apperr.ErrNotFound) || guide() == "Par "+tc.name {
				t.Errorf("got %v, guide %q; want not found and nothing kept", err, guide())
			}
		})
	}
}

// Who may decide is the decisions' own rule: declining, asking for more,
// planning the interview and transferring take the acting account and
// refuse, as not found, a trainer, another host's staff, an account of no
// host and nobody, changing nothing; on SQLite and PostgreSQL.
func TestWhoMayDecideOnARequest(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	probe := f.submitted("", "sonde@example.org")
	own, other := probe.HostID, ""
	for _, h := range f.hosts {
		if h.ID != own {
			other = h.ID
		}
	}
	slot := onboarding.Slot{Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), Duration: time.Hour, Mode: onboarding.ModePhone}
	decisions := []struct {
		name   string
		decide func(a *onboarding.Application, u *accounts.User) error
	}{
		{"decline", func(a *onboarding.Application, u *accounts.User) error {
			return f.store.DeclineRequest(ctx, a, onboarding.Decline{Reason: "Complet."}, u)
		}},
		{"ask for more", func(a *onboarding.Application, u *accounts.User) error {
			return f.store.RequestInfo(ctx, a, onboarding.InfoRequest{Steps: []string{"besoins"}, Message: "Précisez."}, u)
		}},
		{"plan the interview", func(a *onboarding.Application, u *accounts.User) error {
			_, _, err := f.store.ScheduleInterview(ctx, a, slot, u)
			return err
		}},
		{"transfer", func(a *onboarding.Application, u *accounts.User) error {
			fe, err := f.store.Transfer(ctx, a, &onboarding.HostChange{HostID: other, Reason: "Plus proche."}, u)
			if err == nil && len(fe) > 0 {
				return fmt.Errorf("refused: %v", fe)
			}
			return err
		}},
	}
	n := 0
	for _, d := range decisions {
		for _, tc := range []struct {
			name   string
			actor  *accounts.User
			allows bool
		}{
			{"an administrator", &accounts.User{ID: "1", Email: "admin@x.example", Role: accounts.RoleAdmin}, true},
			{"staff of the request's host", &accounts.User{ID: "2", Email: "staff@x.example", Role: accounts.RoleStaff, HostID: own}, true},
			{"a trainer of the request's host", &accounts.User{ID: "3", Role: accounts.RoleTrainer, HostID: own}, false},
			{"staff of another host", &accounts.User{ID: "4", Role: accounts.RoleStaff, HostID: other}, false},
			{"a staff account without host", &accounts.User{ID: "6", Role: accounts.RoleStaff}, false},
			{"nobody", nil, false},
		} {
			t.Run(d.name+" by "+tc.name, func(t *testing.T) {
				n++
				a := f.submitted("", fmt.Sprintf("decision%d@example.org", n))
				if a.HostID != own {
					t.Fatalf("submitted to %s, want %s", a.HostID, own)
				}
				before := *a
				err := d.decide(a, tc.actor)
				stored, gerr := f.store.Get(ctx, a.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				switch {
				case tc.allows && err != nil:
					t.Errorf("refused: %v", err)
				case !tc.allows && !errors.Is(err, apperr.ErrNotFound):
					t.Errorf("got %v, want not found", err)
				case !tc.allows && (stored.Version != before.Version || stored.HostID != own || a.Version != before.Version):
					t.Errorf("refused, yet the request changed: version %d, host %s", stored.Version, stored.HostID)
				}
			})
		}
	}
}
