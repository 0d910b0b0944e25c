package training

import (
	"context"

	"archipel/accounts"
	"archipel/database"
)

// CaseTodo is what waits among cases: flagged ones (a check-in unanswered,
// nobody logging in, storage nearly full) and open ones without a trainer.
// Lists hold at most TodoListed cases; the counts are complete.
type CaseTodo struct {
	Flagged, Untrained           int
	FlaggedItems, UntrainedItems []CaseItem
}

// CaseItem is a case as the dashboard lists it.
type CaseItem struct {
	ID          string
	Association string
}

// TodoListed is how many cases each list of the dashboard shows.
const TodoListed = 5

// Todo counts and lists the open cases that wait for staff: those of
// actor's host, of every host for an administrator. Not found for nobody
// or an account of no host.
func (s *Store) Todo(ctx context.Context, actor *accounts.User) (*CaseTodo, error) {
	hostID, err := hostOf(actor, "", "training: todo")
	if err != nil {
		return nil, err
	}
	scope, args := "", []any{}
	if hostID != "" {
		scope, args = ` AND c.host_id = $1`, []any{hostID}
	}
	t := &CaseTodo{}
	t.Flagged, t.FlaggedItems, err = s.caseList(ctx, ` WHERE c.stage <> '`+string(StageClosed)+`' AND EXISTS (SELECT 1 FROM case_flags f WHERE f.case_id = c.id)`+scope, args)
	if err != nil {
		return nil, err
	}
	t.Untrained, t.UntrainedItems, err = s.caseList(ctx, ` WHERE c.stage <> '`+string(StageClosed)+`' AND NOT EXISTS (SELECT 1 FROM case_trainers ct WHERE ct.case_id = c.id)`+scope, args)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Store) caseList(ctx context.Context, where string, args []any) (int, []CaseItem, error) {
	const from = ` FROM cases c JOIN applications a ON a.id = c.application_id`
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&n); err != nil {
		return 0, nil, database.MapError(err, "training: todo")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, a.association_name`+from+where+` ORDER BY c.opened_at, c.id LIMIT 5`, args...)
	if err != nil {
		return 0, nil, database.MapError(err, "training: todo")
	}
	defer rows.Close()
	var out []CaseItem
	for rows.Next() {
		var it CaseItem
		if err := rows.Scan(&it.ID, &it.Association); err != nil {
			return 0, nil, database.MapError(err, "training: todo")
		}
		out = append(out, it)
	}
	return n, out, database.MapError(rows.Err(), "training: todo")
}
