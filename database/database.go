// Package database opens Archipel's one database connection (embedded SQLite
// by default, PostgreSQL for several replicas) and applies the embedded
// migrations. Domain packages write their own SQL with $1-style placeholders,
// which both drivers accept.
package database

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"archipel/apperr"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the SQL engine behind a DB.
type Dialect string

// The two supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the shared connection pool and the dialect it speaks.
type DB struct {
	*sql.DB
	Dialect Dialect
	// NoMigrationLock skips PostgreSQL's server-wide migration lock; only
	// for tests, whose databases are each their own schema.
	NoMigrationLock bool
}

// ConnectTimeout bounds opening the database: a server that accepts the
// connection but never answers fails the start with a clear message rather
// than hanging it.
const ConnectTimeout = 10 * time.Second

// QueryTimeout is the bound the service puts on a page's database work
// (see server's request timeout) and on the start's schema check.
const QueryTimeout = 15 * time.Second

// Open connects to the database named by rawURL: a postgres:// URL selects
// PostgreSQL; an empty URL or a sqlite:// path selects SQLite, by default in
// dataDir/archipel.db.
func Open(ctx context.Context, rawURL, dataDir string) (*DB, error) {
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		where, withTimeout, bound := boundConnect(rawURL)
		sqldb, err := sql.Open("pgx", withTimeout)
		if err != nil {
			return nil, fmt.Errorf("database: open postgres: %w", err)
		}
		// Connections opened for a burst stay for the next one (not two,
		// database/sql's default), and go after five idle minutes.
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(20)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		db := &DB{DB: sqldb, Dialect: Postgres}
		pctx, cancel := context.WithTimeout(ctx, bound)
		defer cancel()
		if err := db.PingContext(pctx); err != nil {
			sqldb.Close()
			if pctx.Err() != nil && ctx.Err() == nil {
				slog.Error("database: PostgreSQL did not answer in time", slog.String("server", where), slog.Duration("waited", bound))
				return nil, fmt.Errorf("database: PostgreSQL at %s did not answer within %s (is it running, reachable, not overloaded?): %w", where, bound, err)
			}
			return nil, fmt.Errorf("database: reach postgres at %s: %w", where, err)
		}
		return db, nil
	}
	path := strings.TrimPrefix(rawURL, "sqlite://")
	if path == "" {
		if dataDir == "" {
			return nil, errors.New("database: no data directory for SQLite")
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("database: create data directory: %w", err)
		}
		path = filepath.Join(dataDir, "archipel.db")
	}
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// 512 KiB of page cache per connection rather than SQLite's 2 MiB: the
	// pages stay in the system's file cache, which every connection and the
	// kernel share, and four private copies cost 6 MiB on a small machine
	// (README: Performance and footprint).
	q.Add("_pragma", "cache_size(-512)")
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	sqldb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("database: open sqlite: %w", err)
	}
	// One writer at a time is what SQLite does anyway; a small pool avoids
	// "database is locked" storms on a Raspberry-class machine.
	sqldb.SetMaxOpenConns(4)
	// Every connection stays open: with database/sql's default of two idle
	// ones, a burst closed and reopened connections, each opening paying
	// for its pragmas and its statements prepared again.
	sqldb.SetMaxIdleConns(4)
	db := &DB{DB: sqldb, Dialect: SQLite}
	if err := db.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("database: open sqlite %s: %w", path, err)
	}
	return db, nil
}

// boundConnect adds connect_timeout to a PostgreSQL URL that has none, and
// returns the server's address for messages (never the password) and the
// bound (the URL's own connect_timeout when it has one).
func boundConnect(rawURL string) (where, bounded string, bound time.Duration) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)", rawURL, ConnectTimeout
	}
	where = u.Host + u.Path
	q := u.Query()
	if s, err := strconv.Atoi(q.Get("connect_timeout")); err == nil && s > 0 {
		return where, rawURL, time.Duration(s) * time.Second
	}
	q.Set("connect_timeout", strconv.Itoa(int(ConnectTimeout.Seconds())))
	u.RawQuery = q.Encode()
	return where, u.String(), ConnectTimeout
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Dialect))
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	if db.Dialect == Postgres && !db.NoMigrationLock {
		// Several replicas may start at once: only one migrates.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.DB, sub, opts...)
}

// Migrate applies every pending migration, each in its own transaction.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return fmt.Errorf("database: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("database: migrate: %w", err)
	}
	for _, r := range results {
		slog.Debug("migration applied", slog.String("name", r.Source.Path), slog.Duration("took", r.Duration))
	}
	return nil
}

// Pending reports whether the schema is behind the embedded migrations; the
// service refuses to serve while it is.
func (db *DB) Pending(ctx context.Context) (bool, error) {
	p, err := db.provider()
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	pending, err := p.HasPending(ctx)
	if err != nil && ctx.Err() != nil {
		slog.Error("database: no answer to the schema check", slog.Duration("waited", QueryTimeout))
		return false, fmt.Errorf("database: no answer within %s to the schema check: %w", QueryTimeout, err)
	}
	return pending, err
}

// Tx runs fn in a transaction, committed when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// IsUniqueViolation reports whether err is a unique or primary key violation.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// MapError turns driver errors into domain errors at the storage edge:
// sql.ErrNoRows becomes not found, a unique violation a conflict.
func MapError(err error, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return apperr.Wrap(apperr.NotFound, "error.not_found", op, err)
	case IsUniqueViolation(err):
		return apperr.Wrap(apperr.Conflict, "error.conflict", op, err)
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return apperr.Wrap(apperr.Internal, "error.internal", op, err)
}

// Placeholders returns "$from, $from+1, …" for n values, for IN lists.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// QuotedList writes a package's typed constants as a quoted SQL list
// ('a', 'b'), so that the lists in queries come from the constants the Go
// rules read, never typed again by hand. Only for constants, never input.
func QuotedList[T ~string](values []T) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "'" + string(v) + "'"
	}
	return strings.Join(q, ", ")
}

// ownerOnly creates the SQLite file readable by its owner alone (like
// secret.key), or narrows an existing one: it holds personal data. SQLite
// gives its -wal and -shm files the same permissions.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("database: create %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("database: stat %s: %w", path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("database: restrict %s to its owner: %w", path, err)
		}
	}
	return nil
}
