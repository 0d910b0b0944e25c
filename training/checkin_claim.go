package training

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// Sending a check-in and queueing its e-mail are one transaction: the
// check-in is marked sent (with the hash of its new link) and the e-mail is
// written to the outbox together, or neither is. Several replicas (or a
// restarted one) therefore never send the same check-in twice, and a crash
// loses none; the outbox (package mail) then delivers the e-mail, at least
// once. A row left "sending" or "reminding" by an older version, whose lease
// ran out, is taken again.
//
//	scheduled --sent--> sent --reminded--> reminded --(days)--> expired

// Queuer writes a check-in's e-mail in the transaction that marks it sent.
type Queuer func(tx *sql.Tx, k *CheckIn) error

// sendDue marks the next due check-in of a case whose check-ins go on as
// sent with the hash of the link about to be e-mailed, and lets queue write
// the e-mail, in one transaction; nil when none is due.
func (s *Store) sendDue(ctx context.Context, hash string, queue Queuer) (*CheckIn, error) {
	now := s.now()
	due := `((status = ` + scheduledSQL + ` AND due_at <= $3) OR (status = ` + sendingSQL + ` AND lease_until < $3))`
	return s.mark(ctx, queue, "training: send check-in", `UPDATE checkins SET status = `+sentSQL+`, sent_at = $1, token_hash = $2, claimed_by = '', lease_until = NULL
		WHERE id = (SELECT k.id FROM checkins k JOIN cases c ON c.id = k.case_id
			WHERE c.checkins_stopped = FALSE AND ((k.status = `+scheduledSQL+` AND k.due_at <= $3) OR (k.status = `+sendingSQL+` AND k.lease_until < $3))
			ORDER BY k.due_at, k.id LIMIT 1)
		AND `+due+` RETURNING id, case_id, offset_days`, now, hash, now)
}

// remindNext marks the next check-in sent before sentBefore and still
// unanswered as reminded, with the hash of the new link that replaces the
// first, and lets queue write the reminder, in one transaction; nil when none.
func (s *Store) remindNext(ctx context.Context, sentBefore time.Time, hash string, queue Queuer) (*CheckIn, error) {
	now := s.now()
	due := `((status = ` + sentSQL + ` AND sent_at <= $3) OR (status = ` + remindingSQL + ` AND lease_until < $1))`
	return s.mark(ctx, queue, "training: remind check-in", `UPDATE checkins SET status = `+remindedSQL+`, reminded_at = $1, token_hash = $2, claimed_by = '', lease_until = NULL
		WHERE id = (SELECT k.id FROM checkins k JOIN cases c ON c.id = k.case_id
			WHERE c.checkins_stopped = FALSE AND ((k.status = `+sentSQL+` AND k.sent_at <= $3) OR (k.status = `+remindingSQL+` AND k.lease_until < $1))
			ORDER BY k.sent_at, k.id LIMIT 1)
		AND `+due+` RETURNING id, case_id, offset_days`, now, hash, sentBefore.UTC())
}

func (s *Store) mark(ctx context.Context, queue Queuer, op, query string, args ...any) (*CheckIn, error) {
	var k *CheckIn
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var got CheckIn
		err := tx.QueryRowContext(ctx, query, args...).Scan(&got.ID, &got.CaseID, &got.OffsetDays)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := queue(tx, &got); err != nil {
			return err
		}
		k = &got
		return nil
	})
	if err != nil {
		return nil, database.MapError(err, op)
	}
	return k, nil
}

// expireUnanswered closes the check-ins reminded before remindedBefore and
// still unanswered, and flags their cases; it returns how many it closed.
func (s *Store) expireUnanswered(ctx context.Context, remindedBefore time.Time, flagged func(tx *sql.Tx, caseID string) error) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, case_id FROM checkins WHERE status = `+remindedSQL+` AND reminded_at <= $1`, remindedBefore.UTC())
	if err != nil {
		return 0, database.MapError(err, "training: expire check-ins")
	}
	type pair struct{ id, caseID string }
	var todo []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.id, &p.caseID); err != nil {
			rows.Close()
			return 0, database.MapError(err, "training: expire check-ins")
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, database.MapError(err, "training: expire check-ins")
	}
	n := 0
	for _, p := range todo {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE checkins SET status = $1 WHERE id = $2 AND status = `+remindedSQL, CheckinExpired, p.id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil // answered, stopped or expired by another replica meanwhile
			}
			n++
			_, err = tx.ExecContext(ctx, `INSERT INTO case_flags (case_id, flag, raised_at) VALUES ($1, $2, $3) ON CONFLICT (case_id, flag) DO NOTHING`,
				p.caseID, FlagCheckinUnanswered, s.now())
			if err != nil || flagged == nil {
				return err
			}
			return flagged(tx, p.caseID)
		})
		if err != nil {
			return n, database.MapError(err, "training: expire check-ins")
		}
	}
	return n, nil
}

// stopStopped stops what remains of the check-ins of cases that were
// closed or whose association asked to stop.
func (s *Store) stopStopped(ctx context.Context) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE checkins SET status = $1, claimed_by = '', lease_until = NULL
		WHERE status IN (`+answerableList+`)
		AND case_id IN (SELECT id FROM cases WHERE checkins_stopped = TRUE)`, CheckinStopped)
	if err != nil {
		return 0, database.MapError(err, "training: stop check-ins")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// EnableDemo allows Advance; only "archipel demo" calls it.
func (s *Store) EnableDemo() { s.demo.Store(true) }

// Demo reports whether this is the demo, where time may be made to pass.
func (s *Store) Demo() bool { return s.demo.Load() }

// Advance makes time pass for accompaniment, in the demo only, on behalf
// of an administrator: check-ins fall due, reminders and expiries come, and
// cases look older to the usage flags, as if by that much time. It shifts
// every date in one transaction, with then (the audit line, given how many
// check-ins moved): all of it or nothing.
//
// Errors: forbidden outside the demo; not found for anyone but an
// administrator; invalid (err.demo.days) for a span out of range.
func (s *Store) Advance(ctx context.Context, actor *accounts.User, by time.Duration, then ...func(moved int) database.Then) (int, error) {
	const op = "training: advance"
	if !s.Demo() {
		return 0, apperr.New(apperr.Forbidden, "error.forbidden", op)
	}
	if actor == nil || !actor.Admin() {
		return 0, apperr.New(apperr.NotFound, "error.not_found", op)
	}
	if by <= 0 || by > 400*day {
		return 0, apperr.New(apperr.Invalid, "err.demo.days", op)
	}
	n := 0
	type shift struct{ table, col, where string }
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, sh := range []shift{
			{"checkins", "due_at", `status = ` + scheduledSQL},
			{"checkins", "sent_at", `status = ` + sentSQL + ` AND sent_at IS NOT NULL`},
			{"checkins", "reminded_at", `status = ` + remindedSQL + ` AND reminded_at IS NOT NULL`},
			{"cases", "opened_at", `closed_at IS NULL`},
		} {
			rows, err := tx.QueryContext(ctx, `SELECT id, `+sh.col+` FROM `+sh.table+` WHERE `+sh.where)
			if err != nil {
				return err
			}
			type row struct {
				id string
				at time.Time
			}
			var todo []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.at); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range todo {
				if _, err := tx.ExecContext(ctx, `UPDATE `+sh.table+` SET `+sh.col+` = $1 WHERE id = $2`, r.at.Add(-by).UTC(), r.id); err != nil {
					return err
				}
				if sh.table == "checkins" {
					n++
				}
			}
		}
		return runWith(tx, n, then)
	})
	if err != nil {
		return 0, database.MapError(err, op)
	}
	s.Wake()
	return n, nil
}

// Wake asks the dispatcher, when one runs in this process, to tick now.
func (s *Store) Wake() {
	if f, ok := s.waker.Load().(func()); ok && f != nil {
		f()
	}
}
