package database_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"archipel/database"
	"archipel/database/dbtest"
)

func TestTheSQLiteFileIsTheOwnersAlone(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		before os.FileMode // 0: no file yet
	}{
		{"a new file is created 0600", 0},
		{"an existing file readable by others is narrowed to 0600", 0o644},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "archipel.db")
			if tc.before != 0 {
				if err := os.WriteFile(path, nil, tc.before); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.before); err != nil {
					t.Fatal(err)
				}
			}
			db, err := database.Open(ctx, "", dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", st.Mode().Perm())
			}
		})
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
	} {
		if got := database.AddressKey(tc.in); got != tc.want {
			t.Errorf("AddressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAllowCountsEventsArrivingTogetherOneByOne(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.Allow(ctx, "burst", 5, time.Hour, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 5 {
		t.Fatalf("%d of 40 allowed, want 5", allowed.Load())
	}
}

func TestForgetLimitsDeletesCountersPastTheirWindow(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	_, _ = db.Allow(ctx, "old", 5, time.Hour, now.Add(-48*time.Hour))
	_, _ = db.Allow(ctx, "fresh", 5, time.Hour, now)
	n, err := db.ForgetLimits(ctx, now.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("forgot %d, %v; want the old counter", n, err)
	}
	if ok, _ := db.Allow(ctx, "fresh", 1, time.Hour, now); ok {
		t.Fatal("the fresh counter was forgotten")
	}
}
