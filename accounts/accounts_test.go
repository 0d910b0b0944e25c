package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database/dbtest"
)

func TestPasswordHashing(t *testing.T) {
	h, err := accounts.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !accounts.CheckPassword(h, "correct horse battery staple") {
		t.Fatal("the right password is refused")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple"} {
		if accounts.CheckPassword(h, wrong) {
			t.Fatalf("%q accepted", wrong)
		}
	}
	if accounts.CheckPassword("$argon2id$garbage", "x") {
		t.Fatal("a malformed hash matched")
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newStore(t *testing.T) (*accounts.Store, *clock, *accounts.User) {
	t.Helper()
	db := dbtest.Open(t)
	c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	s := accounts.NewStore(db, c.now)
	u, err := s.Create(context.Background(), accounts.NewUser{Email: "Admin@Archipel.example", Role: accounts.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(context.Background(), u, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	return s, c, u
}

func TestLoginSessionsAndThrottling(t *testing.T) {
	ctx := context.Background()
	t.Run("the right password opens a session that the token finds", func(t *testing.T) {
		s, _, _ := newStore(t)
		u, token, err := s.Login(ctx, "admin@archipel.example", "a long enough password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Session(ctx, token)
		if err != nil || got.ID != u.ID {
			t.Fatalf("session: %v %v", got, err)
		}
		if err := s.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, token); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("session after logout: %v", err)
		}
	})
	t.Run("an unknown address and a wrong password fail alike", func(t *testing.T) {
		s, _, _ := newStore(t)
		_, _, e1 := s.Login(ctx, "nobody@archipel.example", "whatever password", "192.0.2.1")
		_, _, e2 := s.Login(ctx, "admin@archipel.example", "wrong password!!", "192.0.2.1")
		if apperr.KeyOf(e1) != "err.login.failed" || apperr.KeyOf(e2) != "err.login.failed" {
			t.Fatalf("got %v and %v", e1, e2)
		}
	})
	t.Run("five failures lock the account for fifteen minutes, even for the right password", func(t *testing.T) {
		s, c, _ := newStore(t)
		for i := 0; i < 5; i++ {
			_, _, _ = s.Login(ctx, "admin@archipel.example", "wrong password!!", "192.0.2.1")
		}
		if _, _, err := s.Login(ctx, "admin@archipel.example", "a long enough password", "192.0.2.2"); apperr.KeyOf(err) != "err.login.throttled" {
			t.Fatalf("got %v, want throttled", err)
		}
		c.t = c.t.Add(16 * time.Minute)
		if _, _, err := s.Login(ctx, "admin@archipel.example", "a long enough password", "192.0.2.2"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("twenty failures from one address block it for every account", func(t *testing.T) {
		s, _, _ := newStore(t)
		for i := 0; i < 20; i++ {
			_, _, _ = s.Login(ctx, "someone@archipel.example", "wrong password!!", "192.0.2.9")
		}
		if _, _, err := s.Login(ctx, "admin@archipel.example", "a long enough password", "192.0.2.9"); apperr.KeyOf(err) != "err.login.throttled" {
			t.Fatalf("got %v, want throttled", err)
		}
	})
	t.Run("an idle session expires", func(t *testing.T) {
		s, c, _ := newStore(t)
		_, token, err := s.Login(ctx, "admin@archipel.example", "a long enough password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(accounts.SessionIdle + time.Minute)
		if _, err := s.Session(ctx, token); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("idle session still valid: %v", err)
		}
	})
	t.Run("a disabled account cannot log in and loses its sessions", func(t *testing.T) {
		s, _, u := newStore(t)
		_, token, _ := s.Login(ctx, "admin@archipel.example", "a long enough password", "192.0.2.1")
		if err := s.SetActive(ctx, &accounts.User{Role: accounts.RoleAdmin}, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, token); err == nil {
			t.Fatal("session survived disabling")
		}
		if _, _, err := s.Login(ctx, "admin@archipel.example", "a long enough password", "192.0.2.1"); err == nil {
			t.Fatal("disabled account logged in")
		}
	})
}

func TestLinks(t *testing.T) {
	ctx := context.Background()
	s, c, u := newStore(t)
	token, err := s.NewLink(ctx, u, accounts.PurposeReset)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseLink(ctx, token, accounts.PurposeInvite, "another long password", ""); err == nil {
		t.Fatal("a reset link worked as an invitation")
	}
	if _, err := s.UseLink(ctx, token, accounts.PurposeReset, "short", ""); apperr.KeyOf(err) != "err.password.short" {
		t.Fatalf("short password: %v", err)
	}
	if _, err := s.UseLink(ctx, token, accounts.PurposeReset, "another long password", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseLink(ctx, token, accounts.PurposeReset, "yet another long password", ""); err == nil {
		t.Fatal("a used link worked twice")
	}
	// The new password's audit line came with it, once (not for the refused tries).
	if lines, err := s.Audit(ctx, accounts.AuditFilter{}); err != nil || countAction(lines, accounts.ActionPasswordSet) != 1 {
		t.Errorf("%d password_set audit lines, %v; want 1", countAction(lines, accounts.ActionPasswordSet), err)
	}
	if _, _, err := s.Login(ctx, u.Email, "another long password", "192.0.2.1"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	expired, _ := s.NewLink(ctx, u, accounts.PurposeReset)
	c.t = c.t.Add(2 * time.Hour)
	if _, err := s.LinkUser(ctx, expired, accounts.PurposeReset); err == nil {
		t.Fatal("an expired link worked")
	}
}

func TestAuditIsFilteredByHostAndRequest(t *testing.T) {
	ctx := context.Background()
	s, _, u := newStore(t)
	_ = s.Record(ctx, u, "approve", "h1", "a1", "")
	_ = s.Record(ctx, u, "note", "h2", "a2", "")
	got, err := s.Audit(ctx, accounts.AuditFilter{HostID: "h1"})
	if err != nil || len(got) != 1 || got[0].ApplicationID != "a1" || got[0].ActorEmail != u.Email {
		t.Fatalf("got %+v, %v", got, err)
	}
	all, _ := s.Audit(ctx, accounts.AuditFilter{})
	if len(all) != 2 || all[0].Action != "note" {
		t.Fatalf("all: %+v", all)
	}
}

func countAction(lines []accounts.Entry, a accounts.Action) (n int) {
	for _, l := range lines {
		if l.Action == string(a) {
			n++
		}
	}
	return n
}

// TestSetActiveCommitsWithItsAuditLine checks that enabling or disabling an
// account is an administrator's, and commits with its audit line: when the
// audit write fails, the account stays as it was.
func TestSetActiveCommitsWithItsAuditLine(t *testing.T) {
	ctx := context.Background()
	s, _, u := newStore(t)
	admin := &accounts.User{ID: "adm", Role: accounts.RoleAdmin}
	for _, who := range []*accounts.User{nil, {ID: "st", Role: accounts.RoleStaff, HostID: "h"}} {
		if err := s.SetActive(ctx, who, u.ID, false); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("set active by %+v: %v, want not found", who, err)
		}
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.SetActive(ctx, admin, u.ID, false, s.RecordIn(gone, admin, accounts.ActionUserDisabled, "", "", u.Email)); err == nil {
		t.Fatal("disabled without its audit line")
	}
	if got, err := s.Get(ctx, u.ID); err != nil || !got.Active {
		t.Errorf("a failing audit write disabled the account: %+v, %v", got, err)
	}
	if err := s.SetActive(ctx, admin, u.ID, false, s.RecordIn(ctx, admin, accounts.ActionUserDisabled, "", "", u.Email)); err != nil {
		t.Fatal(err)
	}
	lines, err := s.Audit(ctx, accounts.AuditFilter{})
	if got, _ := s.Get(ctx, u.ID); err != nil || got.Active || countAction(lines, accounts.ActionUserDisabled) != 1 {
		t.Errorf("active %t, %d audit lines (%v); want false, 1", got.Active, countAction(lines, accounts.ActionUserDisabled), err)
	}
	if err := s.SetActive(ctx, admin, "no-such-account", true); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("an unknown account: %v", err)
	}
}

// TestCreateCommitsWithItsAuditLine checks that an account made with an
// audit line (the command line's) is kept only with it.
func TestCreateCommitsWithItsAuditLine(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	gone, cancel := context.WithCancel(ctx)
	cancel()
	n := accounts.NewUser{Email: "cli@archipel.example", Name: "Ligne de commande", Role: accounts.RoleAdmin}
	if _, err := s.Create(ctx, n, s.RecordIn(gone, nil, accounts.ActionUserCreated, "", "", n.Email)); err == nil {
		t.Fatal("created without its audit line")
	}
	if _, err := s.ByEmail(ctx, n.Email); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a failing audit write kept the account: %v", err)
	}
	if _, err := s.Create(ctx, n, s.RecordIn(ctx, nil, accounts.ActionUserCreated, "", "", n.Email)); err != nil {
		t.Fatal(err)
	}
	if lines, err := s.Audit(ctx, accounts.AuditFilter{}); err != nil || countAction(lines, accounts.ActionUserCreated) != 1 {
		t.Errorf("%d audit lines, %v; want 1", countAction(lines, accounts.ActionUserCreated), err)
	}
}
