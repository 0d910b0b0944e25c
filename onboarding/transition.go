package onboarding

import (
	"context"
	"database/sql"

	"archipel/apperr"
	"archipel/database"
)

// transitions lists, for each status, the statuses a request may move to
// from it (withdrawal and submission have their own methods).
var transitions = map[Status][]Status{
	StatusSubmitted:        {StatusInterviewPlanned, StatusApproved, StatusDeclined, StatusInfoRequested},
	StatusInfoRequested:    {StatusSubmitted, StatusDeclined},
	StatusInterviewPlanned: {StatusInterviewPlanned, StatusApproved, StatusDeclined, StatusInfoRequested},
	StatusApproved:         {StatusProvisioning, StatusReady},
	StatusProvisioning:     {StatusReady},
}

// CanMove reports whether a request may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Querier is a connection or a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Transition moves a request to status to, recording who did it in the
// timeline, inside q (a transaction) or on its own when q is nil. The
// request's version guards against a decision on a request that changed
// meanwhile: the loser of a race gets a conflict.
func (s *Store) Transition(ctx context.Context, q Querier, a *Application, to Status, actor, detail string) error {
	if !CanMove(a.Status, to) {
		return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: transition")
	}
	if q == nil {
		return s.db.Tx(ctx, func(tx *sql.Tx) error { return s.Transition(ctx, tx, a, to, actor, detail) })
	}
	now := s.now()
	res, err := q.ExecContext(ctx, `UPDATE applications SET status = $1, version = version + 1, updated_at = $2
		WHERE id = $3 AND version = $4 AND status = $5`, to, now, a.ID, a.Version, a.Status)
	if err != nil {
		return database.MapError(err, "onboarding: transition")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: transition")
	}
	if err := addEvent(ctx, q, a.ID, string(to), actor, detail, true, now); err != nil {
		return database.MapError(err, "onboarding: transition")
	}
	a.Status = to
	a.Version++
	a.UpdatedAt = now
	return nil
}

// AssignHost gives a request to a host, saying why in the timeline (shown to
// staff only).
func (s *Store) AssignHost(ctx context.Context, a *Application, hostID, actor, reason string) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET host_id = $1, match_reason = $2, version = version + 1, updated_at = $3
			WHERE id = $4 AND version = $5`, hostID, reason, now, a.ID, a.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: assign host")
		}
		return addEvent(ctx, tx, a.ID, EventHostAssigned, actor, reason, false, now)
	})
	if err != nil {
		return database.MapError(err, "onboarding: assign host")
	}
	a.HostID, a.MatchReason = hostID, reason
	a.Version++
	return nil
}
