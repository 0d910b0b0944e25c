package rights_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"archipel/database"
	"archipel/database/dbtest"
	"archipel/rights"
)

// now is the moment the retention task runs in these tests.
var now = time.Date(2026, 12, 4, 3, 30, 0, 0, time.UTC)

// exec runs a seeding statement.
func exec(t *testing.T, db *database.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// count returns a single number.
func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// seedRequest inserts a request with the given status, last changed at.
func seedRequest(t *testing.T, db *database.DB, id, status string, at time.Time) {
	t.Helper()
	exec(t, db, `INSERT INTO applications (id, status, language, answers, association_name, contact_email, created_at, updated_at)
		VALUES ($1, $2, 'fr', '{"association":{"name":"Asso `+id+`"}}', $3, $4, $5, $5)`,
		id, status, "Asso "+id, id+"@example.org", at)
}

func seedHost(t *testing.T, db *database.DB, id string) {
	t.Helper()
	exec(t, db, `INSERT INTO hosts (id, slug, name, created_at, updated_at) VALUES ($1, $1, $1, $2, $2)`, id, now)
}

// boundary seeds, for one kind, a record that outlived its period by a
// second (old) and one exactly at its cutoff (kept); gone reports whether
// a record was erased or anonymised.
type boundary struct {
	seed func(t *testing.T, db *database.DB, dir, id string, at time.Time)
	gone func(t *testing.T, db *database.DB, dir, id string) bool
}

func requestGone(t *testing.T, db *database.DB, _, id string) bool {
	return count(t, db, `SELECT COUNT(*) FROM applications WHERE id = $1 AND erased_at IS NULL`, id) == 0
}

func seedStaff(t *testing.T, db *database.DB, id string) {
	exec(t, db, `INSERT INTO staff_users (id, email, role, created_at, updated_at) VALUES ($1, $2, 'admin', $3, $3)`, id, id+"@staff.example", now)
}

var boundaries = map[string]boundary{
	"draft": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) { seedRequest(t, db, id, "draft", at) },
		gone: requestGone,
	},
	"ended": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			seedRequest(t, db, id, "declined", at)
		},
		gone: requestGone,
	},
	"inactive": {
		// Changed by staff recently, but the association's last word is old.
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			seedRequest(t, db, id, "info_requested", at)
			exec(t, db, `UPDATE applications SET updated_at = $1 WHERE id = $2`, now, id)
			exec(t, db, `INSERT INTO application_events (application_id, kind, actor, created_at) VALUES ($1, 'submitted', '', $2)`, id, at)
			exec(t, db, `INSERT INTO application_events (application_id, kind, actor, created_at) VALUES ($1, 'info_requested', 'staff-1', $2)`, id, now)
		},
		gone: requestGone,
	},
	"closed_case": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			seedRequest(t, db, id, "ready", at)
			exec(t, db, `INSERT INTO cases (id, application_id, host_id, stage, goals, opened_at, updated_at, closed_at)
				VALUES ($1, $1, 'h1', 'closed', 'goals of '||$1, $2, $2, $2)`, id, at)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			erased := requestGone(t, db, "", id)
			if count(t, db, `SELECT COUNT(*) FROM cases WHERE id = $1`, id) != 1 {
				t.Errorf("case %s deleted; it should stay, anonymised, for the figures", id)
			}
			if erased && count(t, db, `SELECT COUNT(*) FROM cases WHERE id = $1 AND goals = ''`, id) != 1 {
				t.Errorf("case %s anonymised but its goals remain", id)
			}
			return erased
		},
	},
	"checkin": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			seedRequest(t, db, id, "ready", now)
			exec(t, db, `INSERT INTO cases (id, application_id, host_id, stage, opened_at, updated_at) VALUES ($1, $1, 'h1', 'active', $2, $2)`, id, now)
			exec(t, db, `INSERT INTO checkins (id, case_id, offset_days, due_at, status, answered_at, works, blocks)
				VALUES ($1, $1, 7, $2, 'answered', $2, 'works '||$1, 'blocks '||$1)`, id, at)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM checkins WHERE id = $1 AND works = '' AND blocks = ''`, id) == 1
		},
	},
	"usage_reading": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			seedRequest(t, db, id, "ready", now)
			exec(t, db, `INSERT INTO cases (id, application_id, host_id, stage, opened_at, updated_at) VALUES ($1, $1, 'h1', 'active', $2, $2)`, id, now)
			exec(t, db, `INSERT INTO usage_readings (case_id, taken_at, ok) VALUES ($1, $2, TRUE)`, id, at)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM usage_readings WHERE case_id = $1`, id) == 0
		},
	},
	"staff_session": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			seedStaff(t, db, id)
			exec(t, db, `INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $1, $2, $2, $2)`, id, at)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM staff_sessions WHERE token_hash = $1`, id) == 0
		},
	},
	"staff_token": {
		// Used at the given time, though it would expire later.
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			seedStaff(t, db, id)
			exec(t, db, `INSERT INTO staff_tokens (token_hash, user_id, purpose, created_at, expires_at, used_at) VALUES ($1, $1, 'reset', $2, $3, $2)`, id, at, now.Add(time.Hour))
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM staff_tokens WHERE token_hash = $1`, id) == 0
		},
	},
	"rate_limit": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			exec(t, db, `INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)`, id, at)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM rate_limits WHERE key = $1`, id) == 0
		},
	},
	"outbox": {
		seed: func(t *testing.T, db *database.DB, dir, id string, at time.Time) {
			name := at.UTC().Format("20060102T150405Z") + "-" + id + ".eml"
			if err := os.WriteFile(filepath.Join(dir, name), []byte("Subject: "+id+"\r\n\r\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// A sent message, and one given up on, both written at that time.
			exec(t, db, `INSERT INTO mail_outbox (id, message_id, to_addr, subject, status, next_attempt_at, created_at, sent_at)
				VALUES ($1, $1, 'x@example.org', $2, 'sent', $3, $3, $3)`, id+"-sent", id, at)
			exec(t, db, `INSERT INTO mail_outbox (id, message_id, to_addr, subject, status, next_attempt_at, created_at)
				VALUES ($1, $1, 'x@example.org', $2, 'failed', $3, $3)`, id+"-failed", id, at)
		},
		gone: func(t *testing.T, db *database.DB, dir, id string) bool {
			m, _ := filepath.Glob(filepath.Join(dir, "*-"+id+".eml"))
			rows := count(t, db, `SELECT COUNT(*) FROM mail_outbox WHERE subject = $1`, id)
			if (len(m) == 0) != (rows == 0) {
				t.Errorf("%s: %d files and %d rows left: files and rows should go together", id, len(m), rows)
			}
			return len(m) == 0 && rows == 0
		},
	},
	"audit": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			exec(t, db, `INSERT INTO audit_log (at, action, detail) VALUES ($1, 'test', $2)`, at, id)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM audit_log WHERE detail = $1`, id) == 0
		},
	},
	"rights_request": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			exec(t, db, `INSERT INTO rights_requests (id, kind, requested_by, requested_at, status, answered_at)
				VALUES ($1, 'export', 'association', $2, 'done', $2)`, id, at)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM rights_requests WHERE id = $1`, id) == 0
		},
	},
	"scheduled_run": {
		seed: func(t *testing.T, db *database.DB, _, id string, at time.Time) {
			exec(t, db, `INSERT INTO scheduled_runs (name, slot, worker, started_at) VALUES ($1, 'slot', 'w', $2)`, id, at)
		},
		gone: func(t *testing.T, db *database.DB, _, id string) bool {
			return count(t, db, `SELECT COUNT(*) FROM scheduled_runs WHERE name = $1`, id) == 0
		},
	},
}

func TestRetentionErasesExactlyWhatTheDeclarationSaysAtItsBoundary(t *testing.T) {
	db := dbtest.Open(t)
	dir := t.TempDir()
	seedHost(t, db, "h1")
	for _, r := range rights.Retention {
		b, ok := boundaries[r.Kind]
		if !ok {
			t.Fatalf("kind %q is declared but has no boundary test here", r.Kind)
		}
		cutoff := r.Keep.Before(now)
		b.seed(t, db, dir, r.Kind+"-old", cutoff.Add(-time.Second))
		b.seed(t, db, dir, r.Kind+"-kept", cutoff)
	}
	e := &rights.Enforcer{DB: db, OutboxDir: dir, Now: func() time.Time { return now }}
	out, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]int64{}
	for _, o := range out {
		done[o.Kind] = o.Count
	}
	for _, r := range rights.Retention {
		b := boundaries[r.Kind]
		t.Run(r.Kind+": a record one second past its period is erased", func(t *testing.T) {
			if !b.gone(t, db, dir, r.Kind+"-old") {
				t.Errorf("kept %s-old, which outlived %d %s", r.Kind, r.Keep.N, r.Keep.Unit)
			}
			want := int64(1)
			if r.Kind == "outbox" {
				want = 3 // a file, a sent row, a failed row
			}
			if done[r.Kind] != want {
				t.Errorf("the run reports %d %s records, want %d", done[r.Kind], r.Kind, want)
			}
		})
		t.Run(r.Kind+": a record exactly at its period is kept", func(t *testing.T) {
			if b.gone(t, db, dir, r.Kind+"-kept") {
				t.Errorf("erased %s-kept, still within %d %s", r.Kind, r.Keep.N, r.Keep.Unit)
			}
		})
	}
	t.Run("a second run the same day finds nothing left to do", func(t *testing.T) {
		out, err := e.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
			if o.Count != 0 {
				t.Errorf("%s: %d records touched again", o.Kind, o.Count)
			}
		}
	})
}

func TestPeriodsCountCalendarMonths(t *testing.T) {
	end := time.Date(2026, 8, 31, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		p    rights.Period
		want time.Time
	}{
		{"six months before 31 August is the start of 3 March (28 February + 3 days normalised)", rights.Period{N: 6, Unit: rights.Months}, time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)},
		{"three years before is the same day", rights.Period{N: 3, Unit: rights.Years}, time.Date(2023, 8, 31, 12, 0, 0, 0, time.UTC)},
		{"thirty days before", rights.Period{N: 30, Unit: rights.Days}, time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Before(end); !got.Equal(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
