package accounts_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
)

// The hostile review sent 80 wrong passwords at once for one account: all
// were checked and the right one, sent last, opened a session.
func TestParallelGuessesAreCountedBeforeTheHash(t *testing.T) {
	ctx := context.Background()
	s, _, u := newStore(t)
	gate := accounts.NewGate(4, 100, time.Minute)
	s.SetGate(gate)
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for i := 0; i < 80; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.Login(ctx, u.Email, "wrong password!!", "192.0.2.1")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	failed, throttled := 0, 0
	for err := range errs {
		switch apperr.KeyOf(err) {
		case "err.login.failed":
			failed++
		case "err.login.throttled":
			throttled++
		default:
			t.Errorf("unexpected answer: %v", err)
		}
	}
	if gate.Runs() > 5 || failed > 5 {
		t.Errorf("%d passwords checked, %d answered wrong: at most 5 may be", gate.Runs(), failed)
	}
	if failed+throttled != 80 {
		t.Errorf("failed %d + throttled %d != 80", failed, throttled)
	}
	before := gate.Runs()
	if _, _, err := s.Login(ctx, u.Email, "a long enough password", "198.51.100.7"); apperr.KeyOf(err) != "err.login.throttled" {
		t.Fatalf("the right password after the burst: %v, want throttled", err)
	}
	if gate.Runs() != before {
		t.Error("a throttled try was hashed")
	}
}

func TestARightPasswordGivesItsTryBack(t *testing.T) {
	ctx := context.Background()
	s, _, u := newStore(t)
	for i := 0; i < 10; i++ {
		if _, _, err := s.Login(ctx, u.Email, "a long enough password", "192.0.2.1"); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
}

func TestGateBoundsPasswordChecks(t *testing.T) {
	ctx := context.Background()
	t.Run("beyond the slots and the waiting room the answer is unavailable at once", func(t *testing.T) {
		g := accounts.NewGate(2, 0, time.Hour)
		release := make(chan struct{})
		started := make(chan struct{}, 2)
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = g.Do(ctx, func() { started <- struct{}{}; <-release })
			}()
		}
		<-started
		<-started
		err := g.Do(ctx, func() { t.Error("a third check ran") })
		if !errors.Is(err, apperr.ErrUnavailable) || apperr.KeyOf(err) != "err.login.busy" {
			t.Fatalf("third check: %v", err)
		}
		close(release)
		wg.Wait()
		if g.Peak() != 2 {
			t.Errorf("peak %d, want 2", g.Peak())
		}
	})
	t.Run("a waiting caller runs as soon as a slot frees", func(t *testing.T) {
		g := accounts.NewGate(1, 1, time.Hour)
		release := make(chan struct{})
		started := make(chan struct{})
		go func() { _ = g.Do(ctx, func() { close(started); <-release }) }()
		<-started
		done := make(chan error)
		go func() { done <- g.Do(ctx, func() {}) }()
		// Once the second caller waits, the waiting room (one place) is
		// full: a third is refused.
		for g.Waiting() == 0 {
			runtime.Gosched()
		}
		if err := g.Do(ctx, func() { t.Error("ran beside a full gate") }); !errors.Is(err, apperr.ErrUnavailable) {
			t.Fatalf("third caller: %v", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("waiting caller: %v", err)
		}
		if g.Peak() != 1 {
			t.Errorf("peak %d, want 1", g.Peak())
		}
	})
	t.Run("many logins at once never run more hashes than the slots", func(t *testing.T) {
		s, _, _ := newStore(t)
		g := accounts.NewGate(2, 3, time.Minute)
		s.SetGate(g)
		var wg sync.WaitGroup
		for i := 0; i < 24; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				addr := "192.0.2." + strconv.Itoa(i+1)
				_, _, err := s.Login(ctx, "user"+strconv.Itoa(i)+"@archipel.example", "a long enough password", addr)
				if k := apperr.KeyOf(err); k != "err.login.failed" && k != "err.login.busy" {
					t.Errorf("login: %v", err)
				}
			}(i)
		}
		wg.Wait()
		if g.Peak() > 2 {
			t.Errorf("%d hashes ran at once, the gate allows 2", g.Peak())
		}
	})
}

func TestAResetVoidsTheAccountsOtherLinks(t *testing.T) {
	ctx := context.Background()
	s, _, u := newStore(t)
	first, _ := s.NewLink(ctx, u, accounts.PurposeReset)
	second, _ := s.NewLink(ctx, u, accounts.PurposeReset)
	invite, _ := s.NewLink(ctx, u, accounts.PurposeInvite)
	if _, err := s.UseLink(ctx, second, accounts.PurposeReset, "another long password", ""); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"older reset": first, "invitation": invite} {
		purpose := accounts.PurposeReset
		if name == "invitation" {
			purpose = accounts.PurposeInvite
		}
		if _, err := s.LinkUser(ctx, tok, purpose); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("%s still opens: %v", name, err)
		}
	}
}

func TestControlCharactersAreRefusedInNames(t *testing.T) {
	ctx := context.Background()
	s, _, u := newStore(t)
	n := accounts.NewUser{Email: "x@archipel.example", Name: "Marie\tCurie", Role: accounts.RoleAdmin}
	if errs := n.Validate(); errs["name"] != "err.control_chars" {
		t.Errorf("tab in a name: %v", errs)
	}
	tok, _ := s.NewLink(ctx, u, accounts.PurposeReset)
	if _, err := s.UseLink(ctx, tok, accounts.PurposeReset, "another long password", "Evil\r\nBcc: x@y"); apperr.KeyOf(err) != "err.control_chars" {
		t.Errorf("line break in a name: %v", err)
	}
	if _, err := s.LinkUser(ctx, tok, accounts.PurposeReset); err != nil {
		t.Errorf("a refused name used the link up: %v", err)
	}
}

func TestOneIPv6NetworkCountsAsOneAddress(t *testing.T) {
	ctx := context.Background()
	s, _, u := newStore(t)
	for i := 0; i < 20; i++ {
		addr := "2001:db8:1:2::" + string(rune('a'+i%6)) + string(rune('0'+i/6))
		_, _, _ = s.Login(ctx, "someone"+string(rune('a'+i))+"@archipel.example", "wrong password!!", addr)
	}
	if _, _, err := s.Login(ctx, u.Email, "a long enough password", "2001:db8:1:2:ffff::1"); apperr.KeyOf(err) != "err.login.throttled" {
		t.Fatalf("another address of the same /64: %v, want throttled", err)
	}
	if _, _, err := s.Login(ctx, u.Email, "a long enough password", "2001:db8:1:3::1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}
