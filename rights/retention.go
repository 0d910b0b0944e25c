// Package rights carries out the data rights of the people Archipel holds
// data about: how long each kind of record lives (Retention, applied once a
// day), the export of everything held about a request, its erasure, and the
// register of the requests made under these rights.
package rights

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"archipel/database"
)

// Unit is the calendar unit of a Period.
type Unit string

// The units a retention period is counted in.
const (
	Days   Unit = "days"
	Months Unit = "months"
	Years  Unit = "years"
)

// Period is how long a record lives after the moment its rule names,
// counted in calendar units as time.AddDate counts them (so the page's "6
// months" is six calendar months, not 180 days).
type Period struct {
	N    int
	Unit Unit
}

// Before returns the moment a record must predate to have outlived the
// period at now.
func (p Period) Before(now time.Time) time.Time {
	switch p.Unit {
	case Years:
		return now.AddDate(-p.N, 0, 0)
	case Months:
		return now.AddDate(0, -p.N, 0)
	default:
		return now.AddDate(0, 0, -p.N)
	}
}

// Rule declares one kind of record, how long it lives and what happens to it
// then. The privacy page states each rule from the messages
// rights.kind.<Kind> (what the record is) and rights.kind.<Kind>.keep (when
// it goes, with {{.Period}}), so the page and the code cannot disagree.
type Rule struct {
	Kind string
	Keep Period
	// apply erases or anonymises, in one transaction, the records that
	// predate cutoff; it returns how many it touched.
	apply func(ctx context.Context, tx *sql.Tx, cutoff, now time.Time) (int64, error)
	// files does the same for records kept as files (the outbox).
	files func(dir string, cutoff time.Time) (int64, error)
	// purge is a rule applied by a function of the package that owns the
	// records, outside any transaction of ours.
	purge func(db *database.DB, ctx context.Context, cutoff time.Time) (int64, error)
}

// Retention is the one declaration of what Archipel keeps and for how long:
// the daily task applies it and the privacy page is written from it.
var Retention = []Rule{
	{Kind: "draft", Keep: Period{6, Months}, apply: purgeRequests(`a.status = 'draft' AND a.updated_at < $1`)},
	{Kind: "ended", Keep: Period{12, Months}, apply: purgeRequests(`a.status IN ('declined', 'withdrawn') AND a.updated_at < $1`)},
	{Kind: "inactive", Keep: Period{3, Years}, apply: purgeRequests(`a.status IN ('submitted', 'info_requested', 'interview_planned')
		AND COALESCE((SELECT MAX(e.created_at) FROM application_events e
			WHERE e.application_id = a.id AND e.actor = '' AND e.kind IN (` + associationEvents + `)), a.created_at) < $1`)},
	{Kind: "closed_case", Keep: Period{12, Months}, apply: anonymiseClosedCases},
	{Kind: "checkin", Keep: Period{2, Years}, apply: execRule(`UPDATE checkins SET works = '', blocks = ''
		WHERE answered_at < $1 AND (works <> '' OR blocks <> '')`)},
	{Kind: "usage_reading", Keep: Period{13, Months}, apply: execRule(`DELETE FROM usage_readings WHERE taken_at < $1`)},
	{Kind: "staff_session", Keep: Period{1, Days}, apply: execRule(`DELETE FROM staff_sessions WHERE expires_at < $1`)},
	{Kind: "staff_token", Keep: Period{1, Days}, apply: execRule(`DELETE FROM staff_tokens WHERE expires_at < $1 OR used_at < $1`)},
	{Kind: "rate_limit", Keep: Period{1, Days}, purge: (*database.DB).ForgetLimits},
	// The outbox's rows (the queue empties a body once sent, address and
	// subject stay) and, without an SMTP server, its .eml files.
	{Kind: "outbox", Keep: Period{30, Days}, files: purgeOutbox, apply: execRule(`DELETE FROM mail_outbox
		WHERE (status = 'sent' AND sent_at < $1) OR (status = 'failed' AND created_at < $1)`)},
	{Kind: "audit", Keep: Period{3, Years}, apply: execRule(`DELETE FROM audit_log WHERE at < $1`)},
	{Kind: "rights_request", Keep: Period{5, Years}, apply: execRule(`DELETE FROM rights_requests WHERE answered_at < $1`)},
	{Kind: "scheduled_run", Keep: Period{90, Days}, apply: execRule(`DELETE FROM scheduled_runs WHERE started_at < $1`)},
}

// associationEvents lists the timeline events that only the association
// itself causes: the last of them is its last contact.
const associationEvents = `'created', 'email_verified', 'submitted', 'withdrawn', 'reschedule_requested', 'link_sent'`

// Enforcer applies Retention.
type Enforcer struct {
	DB *database.DB
	// OutboxDir is where e-mails are kept as files when no SMTP server is
	// configured; empty when there is none.
	OutboxDir string
	Logger    *slog.Logger
	Now       func() time.Time
}

// Outcome says what one run did to one kind of record.
type Outcome struct {
	Kind  string
	Count int64
}

// Run applies every rule, each in its own transaction, and returns what each
// touched; a failing rule does not stop the others, its error is returned.
func (e *Enforcer) Run(ctx context.Context) ([]Outcome, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	at := now().UTC()
	var out []Outcome
	var errs []string
	for _, r := range Retention {
		cutoff := r.Keep.Before(at)
		var n int64
		var err error
		if r.files != nil && e.OutboxDir != "" {
			n, err = r.files(e.OutboxDir, cutoff)
		}
		if r.purge != nil && err == nil {
			var m int64
			m, err = r.purge(e.DB, ctx, cutoff)
			n += m
		}
		if r.apply != nil && err == nil {
			err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
				m, err := r.apply(ctx, tx, cutoff, at)
				n += m
				return err
			})
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", r.Kind, err))
			continue
		}
		out = append(out, Outcome{Kind: r.Kind, Count: n})
		if n > 0 && e.Logger != nil {
			e.Logger.Info("retention applied", slog.String("kind", r.Kind), slog.Int64("count", n))
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("rights: retention: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// execRule is a rule that is one statement with the cutoff as $1.
func execRule(query string) func(ctx context.Context, tx *sql.Tx, cutoff, now time.Time) (int64, error) {
	return func(ctx context.Context, tx *sql.Tx, cutoff, _ time.Time) (int64, error) {
		res, err := tx.ExecContext(ctx, query, cutoff)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
}

// purgeRequests erases the requests matching where (on applications a, with
// the cutoff as $1): deleted outright, or anonymised when a provisioning job
// or a case still points at them.
func purgeRequests(where string) func(ctx context.Context, tx *sql.Tx, cutoff, now time.Time) (int64, error) {
	return func(ctx context.Context, tx *sql.Tx, cutoff, now time.Time) (int64, error) {
		ids, err := selectIDs(ctx, tx, `SELECT a.id FROM applications a WHERE a.erased_at IS NULL AND `+where, cutoff)
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			if err := eraseRequest(ctx, tx, id, now, false); err != nil {
				return 0, err
			}
		}
		return int64(len(ids)), nil
	}
}

// anonymiseClosedCases anonymises the requests whose case closed before
// cutoff; a showcase entry still published with consent stays online.
func anonymiseClosedCases(ctx context.Context, tx *sql.Tx, cutoff, now time.Time) (int64, error) {
	ids, err := selectIDs(ctx, tx, `SELECT a.id FROM applications a JOIN cases c ON c.application_id = a.id
		WHERE c.closed_at < $1 AND a.erased_at IS NULL`, cutoff)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := anonymise(ctx, tx, id, now, true); err != nil {
			return 0, err
		}
	}
	return int64(len(ids)), nil
}

func selectIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// purgeOutbox deletes the e-mail copies written before cutoff.
func purgeOutbox(dir string, cutoff time.Time) (int64, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		// The name starts with the time of writing (20261121T101500Z-…),
		// which a copy or a restore does not change as it does the mtime.
		written, err := time.Parse("20060102T150405Z", strings.SplitN(e.Name(), "-", 2)[0])
		if err != nil {
			info, ierr := e.Info()
			if ierr != nil {
				continue
			}
			written = info.ModTime()
		}
		if !written.Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
			return n, err
		}
		n++
	}
	return n, nil
}
