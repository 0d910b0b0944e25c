package onboarding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

// The hostile review's critical finding: after staff of host A reopened
// only the needs step, the association posted the host step choosing host
// B, then sent the request again: it moved to B, whose staff read A's notes.
func TestOnlyReopenedStepsChangeAndTheHostStays(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	first := a.HostID
	if first == "" {
		t.Fatal("the fixture's request has no host")
	}
	if err := f.store.RequestInfo(ctx, a, onboarding.InfoRequest{Steps: []string{"besoins"}, Message: "Précisez vos besoins."}, as("staff@ile.example")); err != nil {
		t.Fatal(err)
	}
	other := ""
	for _, h := range f.hosts {
		if h.ID != first {
			other = h.Slug
		}
	}
	t.Run("a step staff did not reopen cannot be saved", func(t *testing.T) {
		a, err := f.store.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.MayEdit(onboarding.StepHost) || a.MayEdit(onboarding.StepAssociation) || !a.MayEdit(onboarding.StepNeeds) {
			t.Errorf("may edit host %t, association %t, needs %t", a.MayEdit(onboarding.StepHost), a.MayEdit(onboarding.StepAssociation), a.MayEdit(onboarding.StepNeeds))
		}
		a.Answers.Host.Choice = other
		if err := f.store.Save(ctx, a, onboarding.StepHost); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("saving the host step: %v, want a conflict", err)
		}
	})
	t.Run("sent again, the request stays with its host whatever the answers say", func(t *testing.T) {
		a, err := f.store.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Even answers changed behind the store's back do not move it.
		a.Answers.Host.Choice = other
		if err := f.store.Submit(ctx, a, f.hosts); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.Get(ctx, a.ID)
		if err != nil || got.HostID != first {
			t.Fatalf("host after sending again: %q, %v; want %q", got.HostID, err, first)
		}
		if kinds := f.eventKinds(a.ID, false); kinds[len(kinds)-2] != "host_wish" {
			t.Errorf("the wish for another host is not in the staff's timeline: %v", kinds)
		}
	})
}

// On a transfer, the receiving host reads the answers, the timeline and the
// reason; the sending host's notes, interview guide and staff names stay
// with the sending host.
func TestATransferLeavesTheSendingHostsConfidencesBehind(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	from := a.HostID
	to := ""
	for _, h := range f.hosts {
		if h.ID != from {
			to = h.ID
		}
	}
	staffA := &accounts.User{ID: "ua", Email: "camille@hote-a.example", Name: "Camille", Role: accounts.RoleStaff, HostID: from}
	staffB := &accounts.User{ID: "ub", Email: "dominique@hote-b.example", Name: "Dominique", Role: accounts.RoleStaff, HostID: to}
	admin := &accounts.User{ID: "ad", Email: "admin@archipel.example", Role: accounts.RoleAdmin}
	if _, err := f.store.AddNote(ctx, staffA, a.ID, onboarding.NoteForm{Body: "Trésorier injoignable, méfiance."}); err != nil {
		t.Fatal(err)
	}
	slot := onboarding.Slot{Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), Duration: time.Hour, Mode: onboarding.ModePhone}
	if _, _, err := f.store.ScheduleInterview(ctx, a, slot, staffA); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveGuideNotes(ctx, staffA, a.ID, onboarding.GuideNotes{"activity": "Guide interne de A"}); err != nil {
		t.Fatal(err)
	}
	if fe, err := f.store.Transfer(ctx, a, &onboarding.HostChange{HostID: to, Reason: "Plus proche de chez eux"}, staffA); err != nil || len(fe) > 0 {
		t.Fatalf("transfer: %v %v", fe, err)
	}

	notes, err := f.store.Notes(ctx, staffB, a.ID)
	if err != nil || len(notes) != 0 {
		t.Errorf("the receiving host reads notes: %+v, %v", notes, err)
	}
	if notes, _ := f.store.Notes(ctx, admin, a.ID); len(notes) != 1 {
		t.Errorf("an administrator reads %d notes, want 1", len(notes))
	}
	if iv, err := f.store.Interview(ctx, a.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the receiving host reads the sending host's interview: %+v, %v", iv, err)
	}
	events, err := f.store.Timeline(ctx, staffB, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	sawReason := false
	for _, e := range events {
		if e.Actor == staffA.Email {
			t.Errorf("the receiving host reads the name of the sending host's staff in %q", e.Kind)
		}
		if e.Detail == "Plus proche de chez eux" {
			sawReason = true
		}
	}
	if !sawReason {
		t.Error("the receiving host does not read the reason of the transfer")
	}
	events, _ = f.store.Timeline(ctx, admin, a.ID)
	named := false
	for _, e := range events {
		named = named || e.Actor == staffA.Email
	}
	if !named {
		t.Error("an administrator does not read who did what")
	}
	// The receiving host plans its own interview, with a guide of its own.
	if _, _, err := f.store.ScheduleInterview(ctx, a, slot, staffB); err != nil {
		t.Fatal(err)
	}
	iv, err := f.store.Interview(ctx, a.ID)
	if err != nil || iv.Notes["activity"] != "" || iv.CreatedBy != staffB.Email {
		t.Errorf("the receiving host's interview: %+v, %v", iv, err)
	}
}
