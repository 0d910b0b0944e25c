package onboarding

import (
	"context"
	"database/sql"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// Note is an internal note staff keep on a request; the association never
// sees it.
type Note struct {
	ID            int64
	ApplicationID string
	AuthorID      string
	AuthorName    string
	Body          string
	CreatedAt     time.Time
}

// NoteForm is the form adding a note.
type NoteForm struct {
	Body string `form:"note_body"`
}

// Validate checks a note.
func (f *NoteForm) Validate() FieldErrors {
	var fe FieldErrors
	f.Body = clean(f.Body)
	fe.text("note_body", f.Body, true, 5000)
	return fe
}

// AddNote appends a note to a request, signed by its author (actor); it
// stays with the request's current host should the request move to
// another. Anyone who may read the request may add a note (staff and
// trainers of its host, administrators); then (the audit line), given the
// note, commits in the same transaction: all of it or nothing.
//
// Errors: invalid (the field's key); not found for a request actor may
// not see (another host's, a draft), whether it exists or not.
func (s *Store) AddNote(ctx context.Context, actor *accounts.User, applicationID string, f NoteForm, then ...func(*Note) database.Then) (*Note, error) {
	const op = "onboarding: add note"
	if fe := f.Validate(); len(fe) > 0 {
		return nil, apperr.New(apperr.Invalid, fe[0].Key, op)
	}
	if actor == nil {
		return nil, apperr.New(apperr.NotFound, "error.not_found", op)
	}
	name := actor.Name
	if name == "" {
		name = actor.Email
	}
	n := &Note{ApplicationID: applicationID, AuthorID: actor.ID, AuthorName: name, Body: f.Body, CreatedAt: s.now()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The scope is in the SQL: a request actor may not see, or an
		// erased one, gets no note.
		if err := tx.QueryRowContext(ctx, `INSERT INTO application_notes (application_id, author_id, author_name, body, created_at, host_id)
			SELECT a.id, $2, $3, $4, $5, COALESCE(a.host_id, '') FROM applications a
			WHERE a.id = $1 AND a.status <> $6 AND a.erased_at IS NULL AND ($7 OR (a.host_id = $8 AND $8 <> '')) RETURNING id`,
			applicationID, actor.ID, name, f.Body, n.CreatedAt, StatusDraft, actor.Admin(), actor.HostID).Scan(&n.ID); err != nil {
			return err
		}
		for _, fn := range then {
			if err := database.RunThen(tx, []database.Then{fn(n)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, database.MapError(err, op)
	}
	return n, nil
}

// Notes returns a request's notes the actor may read, oldest first: those
// written while the request was with the actor's host (all, for an
// administrator). Notes of a host the request left stay with that host.
func (s *Store) Notes(ctx context.Context, actor *accounts.User, applicationID string) ([]Note, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, application_id, author_id, author_name, body, created_at
		FROM application_notes WHERE application_id = $1 AND ($2 OR host_id = $3) ORDER BY id`, applicationID, actor.Admin(), actor.HostID)
	if err != nil {
		return nil, database.MapError(err, "onboarding: notes")
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		if err := rows.Scan(&n.ID, &n.ApplicationID, &n.AuthorID, &n.AuthorName, &n.Body, &n.CreatedAt); err != nil {
			return nil, database.MapError(err, "onboarding: notes")
		}
		out = append(out, n)
	}
	return out, database.MapError(rows.Err(), "onboarding: notes")
}
