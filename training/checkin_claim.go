package training

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"archipel/apperr"
	"archipel/database"
)

// Sending a check-in is claimed in the database first, so that several
// replicas (or a restarted one) never send the same check-in twice:
//
//	scheduled --claim--> sending --sent--> sent --claim--> reminding --sent--> reminded --(days)--> expired
//
// A claim holds a lease; a row whose lease ran out (its worker died) is
// claimed again. That leaves one at-least-once window: a worker that dies
// after the mail server accepted a message but before recording it makes
// the next worker send that message again, once the lease is over. The
// association then gets two e-mails and only the newer link opens the form
// (a first send stores the link's hash when claiming; a reminder replaces it
// once sent).

// claimDue claims the next due check-in of a case whose check-ins go on,
// storing the hash of the link about to be sent; nil when none is due.
func (s *Store) claimDue(ctx context.Context, worker, hash string, lease time.Duration) (*CheckIn, error) {
	now := s.now()
	const due = `((status = 'scheduled' AND due_at <= $4) OR (status = 'sending' AND lease_until < $4))`
	var id string
	err := s.db.QueryRowContext(ctx, `UPDATE checkins SET status = 'sending', claimed_by = $1, lease_until = $2, token_hash = $3
		WHERE id = (SELECT k.id FROM checkins k JOIN cases c ON c.id = k.case_id
			WHERE c.checkins_stopped = FALSE AND ((k.status = 'scheduled' AND k.due_at <= $4) OR (k.status = 'sending' AND k.lease_until < $4))
			ORDER BY k.due_at, k.id LIMIT 1)
		AND `+due+` RETURNING id`, worker, now.Add(lease), hash, now).Scan(&id)
	return s.claimed(ctx, id, err, "training: claim check-in")
}

// claimReminder claims the next check-in sent before sentBefore and still
// unanswered, to remind the association; nil when none.
func (s *Store) claimReminder(ctx context.Context, worker string, sentBefore time.Time, lease time.Duration) (*CheckIn, error) {
	now := s.now()
	const due = `((status = 'sent' AND sent_at <= $3) OR (status = 'reminding' AND lease_until < $4))`
	var id string
	err := s.db.QueryRowContext(ctx, `UPDATE checkins SET status = 'reminding', claimed_by = $1, lease_until = $2
		WHERE id = (SELECT k.id FROM checkins k JOIN cases c ON c.id = k.case_id
			WHERE c.checkins_stopped = FALSE AND ((k.status = 'sent' AND k.sent_at <= $3) OR (k.status = 'reminding' AND k.lease_until < $4))
			ORDER BY k.sent_at, k.id LIMIT 1)
		AND `+due+` RETURNING id`, worker, now.Add(lease), sentBefore.UTC(), now).Scan(&id)
	return s.claimed(ctx, id, err, "training: claim reminder")
}

func (s *Store) claimed(ctx context.Context, id string, err error, op string) (*CheckIn, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, database.MapError(err, op)
	}
	ks, err := s.checkins(ctx, `k.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, apperr.New(apperr.NotFound, "error.not_found", op)
	}
	return &ks[0], nil
}

// markSent records that a claimed check-in went out. When it was answered
// or stopped meanwhile, only its sending date is kept.
func (s *Store) markSent(ctx context.Context, id, worker string) error {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE checkins SET status = 'sent', sent_at = $1, claimed_by = '', lease_until = NULL
		WHERE id = $2 AND claimed_by = $3 AND status = 'sending'`, now, id, worker)
	if err != nil {
		return database.MapError(err, "training: check-in sent")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = s.db.ExecContext(ctx, `UPDATE checkins SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL`, now, id)
	}
	return database.MapError(err, "training: check-in sent")
}

// markReminded records that a reminder went out with a new link, which
// replaces the first one.
func (s *Store) markReminded(ctx context.Context, id, worker, hash string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE checkins SET status = 'reminded', reminded_at = $1, token_hash = $2, claimed_by = '', lease_until = NULL
		WHERE id = $3 AND claimed_by = $4 AND status = 'reminding'`, s.now(), hash, id, worker)
	return database.MapError(err, "training: check-in reminded")
}

// release gives a claimed check-in back after a failed send, to be tried
// again at the next tick.
func (s *Store) release(ctx context.Context, id, worker string, from, to CheckinStatus) error {
	_, err := s.db.ExecContext(ctx, `UPDATE checkins SET status = $1, claimed_by = '', lease_until = NULL
		WHERE id = $2 AND claimed_by = $3 AND status = $4`, to, id, worker, from)
	return database.MapError(err, "training: release check-in")
}

// expireUnanswered closes the check-ins reminded before remindedBefore and
// still unanswered, and flags their cases; it returns how many it closed.
func (s *Store) expireUnanswered(ctx context.Context, remindedBefore time.Time) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, case_id FROM checkins WHERE status = 'reminded' AND reminded_at <= $1`, remindedBefore.UTC())
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
			res, err := tx.ExecContext(ctx, `UPDATE checkins SET status = $1 WHERE id = $2 AND status = 'reminded'`, CheckinExpired, p.id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil // answered, stopped or expired by another replica meanwhile
			}
			n++
			_, err = tx.ExecContext(ctx, `INSERT INTO case_flags (case_id, flag, raised_at) VALUES ($1, $2, $3) ON CONFLICT (case_id, flag) DO NOTHING`,
				p.caseID, FlagCheckinUnanswered, s.now())
			return err
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
		WHERE status IN ('scheduled', 'sending', 'sent', 'reminding', 'reminded')
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

// Advance makes time pass for accompaniment, in the demo only: check-ins
// fall due, reminders and expiries come, and cases look older to the usage
// flags, as if by that much time. Forbidden outside the demo.
func (s *Store) Advance(ctx context.Context, by time.Duration) (int, error) {
	if !s.Demo() {
		return 0, apperr.New(apperr.Forbidden, "error.forbidden", "training: advance")
	}
	if by <= 0 || by > 400*day {
		return 0, apperr.New(apperr.Invalid, "err.demo.days", "training: advance")
	}
	n := 0
	type shift struct{ table, col, where string }
	for _, sh := range []shift{
		{"checkins", "due_at", `status = 'scheduled'`},
		{"checkins", "sent_at", `status = 'sent' AND sent_at IS NOT NULL`},
		{"checkins", "reminded_at", `status = 'reminded' AND reminded_at IS NOT NULL`},
		{"cases", "opened_at", `closed_at IS NULL`},
	} {
		rows, err := s.db.QueryContext(ctx, `SELECT id, `+sh.col+` FROM `+sh.table+` WHERE `+sh.where)
		if err != nil {
			return n, database.MapError(err, "training: advance")
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
				return n, database.MapError(err, "training: advance")
			}
			todo = append(todo, r)
		}
		rows.Close()
		for _, r := range todo {
			if _, err := s.db.ExecContext(ctx, `UPDATE `+sh.table+` SET `+sh.col+` = $1 WHERE id = $2`, r.at.Add(-by).UTC(), r.id); err != nil {
				return n, database.MapError(err, "training: advance")
			}
			if sh.table == "checkins" {
				n++
			}
		}
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
