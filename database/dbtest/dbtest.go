// Package dbtest opens a fresh migrated database per test, on SQLite or PostgreSQL.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"archipel/database"
)

// EnvPostgres names the environment variable that selects PostgreSQL for the
// storage tests (CI sets it to a server URL such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
const EnvPostgres = "ARCHIPEL_TEST_POSTGRES"

// Open opens a fresh, migrated database for one test: SQLite in a
// temporary directory, or, when ARCHIPEL_TEST_POSTGRES is set, a new schema
// on that PostgreSQL server, dropped at the end. An unreachable server fails
// the test rather than skipping it.
func Open(t testing.TB) *database.DB {
	t.Helper()
	db, _ := OpenURL(t)
	return db
}

// OpenURL is Open that also returns the database's URL, for a test that
// starts other processes on the same database (sqlite://path on SQLite).
func OpenURL(t testing.TB) (*database.DB, string) {
	t.Helper()
	ctx := context.Background()
	pgURL := os.Getenv(EnvPostgres)
	if pgURL == "" {
		path := filepath.Join(t.TempDir(), "archipel.db")
		db, err := database.Open(ctx, "sqlite://"+path, "")
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate sqlite: %v", err)
		}
		return db, "sqlite://" + path
	}
	admin, err := database.Open(ctx, pgURL, "")
	if err != nil {
		t.Fatalf("open postgres %s: %v", EnvPostgres, err)
	}
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := database.Open(ctx, u.String(), "")
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.ExecContext(context.Background(), fmt.Sprintf("DROP SCHEMA %s CASCADE", schema)); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	db.NoMigrationLock = true
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return db, u.String()
}
