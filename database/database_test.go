package database_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"archipel/apperr"
	"archipel/database"
	"archipel/database/dbtest"
)

func TestMigratedDatabaseHasNothingPending(t *testing.T) {
	db := dbtest.Open(t)
	pending, err := db.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pending {
		t.Fatal("schema reported behind right after migrating")
	}
	// Migrating twice is a no-op, as it is when several replicas start.
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestMapError(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	insert := func() error {
		_, err := db.ExecContext(ctx, `INSERT INTO hosts (id, slug, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			"h1", "chez-nous", "Chez nous", now, now)
		return err
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	t.Run("a duplicate key becomes a conflict", func(t *testing.T) {
		err := database.MapError(insert(), "test")
		if !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("got %v, want conflict", err)
		}
	})
	t.Run("no rows becomes not found", func(t *testing.T) {
		var name string
		err := db.QueryRowContext(ctx, `SELECT name FROM hosts WHERE slug = $1`, "absent").Scan(&name)
		if !errors.Is(database.MapError(err, "test"), apperr.ErrNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
	t.Run("times come back in UTC and booleans as booleans", func(t *testing.T) {
		var created time.Time
		var paused bool
		if err := db.QueryRowContext(ctx, `SELECT created_at, paused FROM hosts WHERE id = $1 AND paused = FALSE`, "h1").Scan(&created, &paused); err != nil {
			t.Fatal(err)
		}
		if !created.Equal(now.Truncate(time.Microsecond)) && !created.Equal(now) {
			t.Fatalf("created_at = %v, want %v", created, now)
		}
	})
}

func TestAllowCountsWithinAWindow(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= 4; i++ {
		ok, err := db.Allow(ctx, "ip:1", 3, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := i <= 3; ok != want {
			t.Fatalf("call %d: allowed=%v, want %v", i, ok, want)
		}
	}
	if ok, _ := db.Allow(ctx, "ip:2", 3, time.Hour, now); !ok {
		t.Fatal("another key shares the counter")
	}
	if ok, _ := db.Allow(ctx, "ip:1", 3, time.Hour, now.Add(time.Hour)); !ok {
		t.Fatal("a new window did not reset the counter")
	}
}

func TestClaimRunLetsOneWorkerRunASlot(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Now()
	const lease = time.Minute
	first, err := db.ClaimRun(ctx, "purge", "2026-11-21", "a", now, lease)
	if err != nil || !first {
		t.Fatalf("first claim: %v %v", first, err)
	}
	if again, _ := db.ClaimRun(ctx, "purge", "2026-11-21", "b", now, lease); again {
		t.Fatal("a second worker claimed the same slot")
	}
	if next, _ := db.ClaimRun(ctx, "purge", "2026-11-22", "b", now, lease); !next {
		t.Fatal("the next slot was not claimable")
	}
}

func TestADailyRunWhoseReplicaDiedIsClaimedAgain(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Now()
	const lease = time.Minute
	if ok, err := db.ClaimRun(ctx, "usage", "2026-11-21", "a", now, lease); err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	// a renews while it runs: its claim holds past the first lease.
	if ok, err := db.RenewRun(ctx, "usage", "2026-11-21", "a", now.Add(2*lease)); err != nil || !ok {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if ok, _ := db.ClaimRun(ctx, "usage", "2026-11-21", "b", now.Add(lease+time.Second), lease); ok {
		t.Fatal("b took a run whose lease was renewed")
	}
	// a dies: once its lease ends, b runs the day.
	later := now.Add(3 * lease)
	if ok, err := db.ClaimRun(ctx, "usage", "2026-11-21", "b", later, lease); err != nil || !ok {
		t.Fatalf("b could not take the day's run after a's lease ended: %v %v", ok, err)
	}
	if ok, _ := db.RenewRun(ctx, "usage", "2026-11-21", "a", later.Add(lease)); ok {
		t.Fatal("a renewed a run b had taken")
	}
	if err := db.FinishRun(ctx, "usage", "2026-11-21", "b", later); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.ClaimRun(ctx, "usage", "2026-11-21", "c", later.Add(time.Hour), lease); ok {
		t.Fatal("a finished run was claimed again")
	}
}
