package onboarding

import (
	"context"
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

// AddNote appends a note to a request, signed by its author; it stays
// with the request's current host should the request move to another.
func (s *Store) AddNote(ctx context.Context, actor *accounts.User, applicationID string, f NoteForm) (*Note, error) {
	if fe := f.Validate(); len(fe) > 0 {
		return nil, apperr.New(apperr.Invalid, fe[0].Key, "onboarding: add note")
	}
	name := actor.Name
	if name == "" {
		name = actor.Email
	}
	n := &Note{ApplicationID: applicationID, AuthorID: actor.ID, AuthorName: name, Body: f.Body, CreatedAt: s.now()}
	err := s.db.QueryRowContext(ctx, `INSERT INTO application_notes (application_id, author_id, author_name, body, created_at, host_id)
		VALUES ($1, $2, $3, $4, $5, COALESCE((SELECT host_id FROM applications WHERE id = $1), '')) RETURNING id`,
		applicationID, actor.ID, name, f.Body, n.CreatedAt).Scan(&n.ID)
	if err != nil {
		return nil, database.MapError(err, "onboarding: add note")
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
