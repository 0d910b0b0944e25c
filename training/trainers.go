package training

import (
	"context"
	"database/sql"
	"slices"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// Trainer is a staff account that may accompany a host's associations.
type Trainer struct {
	ID       string
	Name     string
	Email    string
	Role     string
	Language string
}

// Display is the trainer's name, or address when the name is unknown.
func (t Trainer) Display() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Email
}

// Trainers returns the active accounts of a host that may be assigned to its
// cases: trainers and staff.
func (s *Store) Trainers(ctx context.Context, hostID string) ([]Trainer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, email, role, language FROM staff_users
		WHERE host_id = $1 AND active = TRUE AND role IN ('trainer', 'staff') ORDER BY name, email`, hostID)
	if err != nil {
		return nil, database.MapError(err, "training: trainers of host")
	}
	defer rows.Close()
	var out []Trainer
	for rows.Next() {
		var t Trainer
		if err := rows.Scan(&t.ID, &t.Name, &t.Email, &t.Role, &t.Language); err != nil {
			return nil, database.MapError(err, "training: trainers of host")
		}
		out = append(out, t)
	}
	return out, database.MapError(rows.Err(), "training: trainers of host")
}

// AssignTrainers replaces a case's trainers with accounts of its host (an
// empty list leaves the case without trainer), on behalf of actor; then
// (the audit line), given the trainers kept, commits in the same
// transaction: all of it or nothing.
//
// Errors: not found for an actor of another host; forbidden
// (err.case.staff_only) for one of its host who may not choose them
// (MayAssign); invalid (err.case.trainer) when one of them may not
// accompany this host's associations; conflict when the case is closed.
func (s *Store) AssignTrainers(ctx context.Context, actor *accounts.User, c *Case, userIDs []string, then ...func(trainerIDs []string) database.Then) error {
	if err := c.refuse(actor, c.MayAssign(actor), "err.case.staff_only", "training: assign trainers"); err != nil {
		return err
	}
	if c.Stage == StageClosed {
		return apperr.New(apperr.Conflict, "err.case.closed", "training: assign trainers")
	}
	eligible, err := s.Trainers(ctx, c.HostID)
	if err != nil {
		return err
	}
	var ids []string
	for _, id := range userIDs {
		if id == "" || slices.Contains(ids, id) {
			continue
		}
		if !slices.ContainsFunc(eligible, func(t Trainer) bool { return t.ID == id }) {
			return apperr.New(apperr.Invalid, "err.case.trainer", "training: assign trainers")
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := openInScope(ctx, tx, actor, c.ID, "training: assign trainers"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_trainers WHERE case_id = $1`, c.ID); err != nil {
			return err
		}
		for _, u := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_trainers (case_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, c.ID, u); err != nil {
				return err
			}
		}
		return runWith(tx, ids, then)
	})
	if err != nil {
		return database.MapError(err, "training: assign trainers")
	}
	c.TrainerIDs = ids
	return nil
}

// Recipients returns who hears about a case's check-in answers: its
// trainers, or, when it has none, its host's staff.
func (s *Store) Recipients(ctx context.Context, c *Case) ([]Trainer, error) {
	all, err := s.Trainers(ctx, c.HostID)
	if err != nil {
		return nil, err
	}
	var out []Trainer
	for _, t := range all {
		if slices.Contains(c.TrainerIDs, t.ID) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		for _, t := range all {
			if t.Role == "staff" {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// Host is a partner host as the accompaniment pages name it.
type Host struct {
	ID   string
	Slug string
	Name string
}

// Hosts returns every partner host, by name.
func (s *Store) Hosts(ctx context.Context) ([]Host, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, slug, name FROM hosts ORDER BY name`)
	if err != nil {
		return nil, database.MapError(err, "training: hosts")
	}
	defer rows.Close()
	var out []Host
	for rows.Next() {
		var h Host
		if err := rows.Scan(&h.ID, &h.Slug, &h.Name); err != nil {
			return nil, database.MapError(err, "training: hosts")
		}
		out = append(out, h)
	}
	return out, database.MapError(rows.Err(), "training: hosts")
}
