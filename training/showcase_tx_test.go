package training_test

import (
	"context"
	"errors"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/training"
)

// TestShowcaseChangesCommitWithTheirAuditLine checks that saving an entry,
// setting and removing its logo commit with their audit line, and that only
// the case's host (its staff and trainers) or an administrator may make
// them: when the audit write fails, nothing is kept; another host's staff
// get not found.
func TestShowcaseChangesCommitWithTheirAuditLine(t *testing.T) {
	f := newShowcaseFixture(t)
	c := f.closedCase("h-ile", "Les Amis du Vélo", "69", training.OutcomeSuccess)
	audit := accounts.NewStore(f.db, nil)
	trainer := &accounts.User{ID: "cam", Role: accounts.RoleTrainer, HostID: "h-ile"}
	gone, cancel := context.WithCancel(f.ctx)
	cancel()
	line := func(ctx context.Context, action accounts.Action) func(*training.ShowcaseEntry) database.Then {
		return func(e *training.ShowcaseEntry) database.Then {
			return audit.RecordIn(ctx, trainer, action, c.HostID, c.ApplicationID, e.ID)
		}
	}
	lines := func(action accounts.Action) (n int) {
		t.Helper()
		if err := f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	text := validText("Les Amis du Vélo", "69")
	for _, tc := range []struct {
		name  string
		actor *accounts.User
		want  error
	}{
		{"another host's staff", &accounts.User{ID: "far", Role: accounts.RoleStaff, HostID: "h-recif"}, apperr.ErrNotFound},
		{"an account without host", &accounts.User{ID: "nob", Role: accounts.RoleStaff}, apperr.ErrNotFound},
		{"nobody", nil, apperr.ErrNotFound},
	} {
		if _, _, err := f.sc.Save(f.ctx, tc.actor, c, text, 0); !errors.Is(err, tc.want) {
			t.Errorf("%s saves: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, _, err := f.sc.Save(f.ctx, trainer, c, text, 0, line(gone, accounts.ActionShowcaseSaved)); err == nil {
		t.Fatal("saved without its audit line")
	}
	if _, err := f.sc.ForCase(f.ctx, c.ID); !errors.Is(err, apperr.ErrNotFound) || lines(accounts.ActionShowcaseSaved) != 0 {
		t.Fatalf("a failing audit write kept an entry (%v) or %d audit lines", err, lines(accounts.ActionShowcaseSaved))
	}
	e, _, err := f.sc.Save(f.ctx, trainer, c, text, 0, line(f.ctx, accounts.ActionShowcaseSaved))
	if err != nil || lines(accounts.ActionShowcaseSaved) != 1 {
		t.Fatalf("save: %v, %d audit lines", err, lines(accounts.ActionShowcaseSaved))
	}
	if _, err := f.sc.SetLogo(f.ctx, &accounts.User{ID: "far", Role: accounts.RoleStaff, HostID: "h-recif"}, e, e.Version, pngOf(t, 40, 20)); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("another host's staff set the logo: %v", err)
	}
	if _, err := f.sc.SetLogo(f.ctx, trainer, e, e.Version, pngOf(t, 40, 20), line(gone, accounts.ActionShowcaseLogo)); err == nil {
		t.Fatal("the logo was set without its audit line")
	}
	if cur, _ := f.sc.ForCase(f.ctx, c.ID); cur.HasLogo() || cur.Version != e.Version || lines(accounts.ActionShowcaseLogo) != 0 {
		t.Errorf("a failing audit write kept the logo (version %d, want %d)", cur.Version, e.Version)
	}
	if _, err := f.sc.SetLogo(f.ctx, trainer, e, e.Version, pngOf(t, 40, 20), line(f.ctx, accounts.ActionShowcaseLogo)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sc.RemoveLogo(f.ctx, trainer, e, e.Version, line(gone, accounts.ActionShowcaseLogoRemoved)); err == nil {
		t.Fatal("the logo was removed without its audit line")
	}
	if cur, _ := f.sc.ForCase(f.ctx, c.ID); !cur.HasLogo() || lines(accounts.ActionShowcaseLogoRemoved) != 0 {
		t.Error("a failing audit write removed the logo")
	}
	if _, err := f.sc.RemoveLogo(f.ctx, trainer, e, e.Version, line(f.ctx, accounts.ActionShowcaseLogoRemoved)); err != nil {
		t.Fatal(err)
	}
	if cur, _ := f.sc.ForCase(f.ctx, c.ID); cur.HasLogo() || lines(accounts.ActionShowcaseLogoRemoved) != 1 {
		t.Error("the logo stayed, or its audit line is missing")
	}
}
