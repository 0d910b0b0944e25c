package onboarding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"archipel/apperr"
	"archipel/database/dbtest"
	"archipel/onboarding"
)

func TestPurgeErasesOnlyWhatOutlivedItsRetention(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Now()
	at := func(d time.Duration) *onboarding.Store {
		return onboarding.NewStore(db, func() time.Time { return now.Add(-d) })
	}
	first := onboarding.AssociationStep{Name: "Asso", ContactEmail: "a@example.org"}
	oldDraft, _, err := at(200*24*time.Hour).Create(ctx, "fr", first)
	if err != nil {
		t.Fatal(err)
	}
	recentDraft, _, _ := at(24*time.Hour).Create(ctx, "fr", first)
	oldWithdrawn, _, _ := at(400*24*time.Hour).Create(ctx, "fr", first)
	if err := at(400*24*time.Hour).Withdraw(ctx, oldWithdrawn); err != nil {
		t.Fatal(err)
	}
	recentWithdrawn, _, _ := at(100*24*time.Hour).Create(ctx, "fr", first)
	if err := at(100*24*time.Hour).Withdraw(ctx, recentWithdrawn); err != nil {
		t.Fatal(err)
	}
	n, err := onboarding.NewStore(db, nil).Purge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("purged %d requests, want 2", n)
	}
	store := onboarding.NewStore(db, nil)
	for _, tc := range []struct {
		name string
		id   string
		gone bool
	}{
		{"a draft untouched for 200 days is erased", oldDraft.ID, true},
		{"a recent draft is kept", recentDraft.ID, false},
		{"a request withdrawn 400 days ago is erased", oldWithdrawn.ID, true},
		{"a request withdrawn 100 days ago is kept", recentWithdrawn.ID, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.Get(ctx, tc.id)
			if gone := errors.Is(err, apperr.ErrNotFound); gone != tc.gone {
				t.Fatalf("gone = %v (err %v), want %v", gone, err, tc.gone)
			}
		})
	}
}
