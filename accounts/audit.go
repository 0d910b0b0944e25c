package accounts

import (
	"context"
	"database/sql"
	"time"

	"archipel/database"
)

// Entry is one line of the audit log: who did what, when, on which request.
type Entry struct {
	ID            int64
	At            time.Time
	ActorID       string
	ActorEmail    string
	Action        string
	HostID        string
	ApplicationID string
	Detail        string
}

// Record appends to the audit log; actor may be nil for the system.
func (s *Store) Record(ctx context.Context, actor *User, action Action, hostID, applicationID, detail string) error {
	var id, email string
	if actor != nil {
		id, email = actor.ID, actor.Email
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.now(), id, email, action, hostID, applicationID, detail)
	return database.MapError(err, "accounts: audit")
}

// RecordIn is Record inside the transaction of the workflow it records:
// the action and its audit line commit together.
func (s *Store) RecordIn(ctx context.Context, actor *User, action Action, hostID, applicationID, detail string) database.Then {
	return func(tx *sql.Tx) error {
		var id, email string
		if actor != nil {
			id, email = actor.ID, actor.Email
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.now(), id, email, action, hostID, applicationID, detail)
		return err
	}
}

// AuditFilter selects audit entries; empty fields match everything.
type AuditFilter struct {
	// Viewer, when set, keeps the entries of the viewer's host (all for an
	// administrator): a request that moved keeps the names of the staff of
	// the host it left with that host.
	Viewer        *User
	HostID        string
	ApplicationID string
	Limit         int
}

// Audit returns audit entries, newest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	if f.Viewer != nil && !f.Viewer.Admin() {
		if f.HostID != "" && f.HostID != f.Viewer.HostID {
			return nil, nil
		}
		f.HostID = f.Viewer.HostID
		if f.HostID == "" {
			return nil, nil
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor_id, actor_email, action, host_id, application_id, detail FROM audit_log
		WHERE ($1 = '' OR host_id = $1) AND ($2 = '' OR application_id = $2) ORDER BY id DESC LIMIT $3`, f.HostID, f.ApplicationID, f.Limit)
	if err != nil {
		return nil, database.MapError(err, "accounts: audit")
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorEmail, &e.Action, &e.HostID, &e.ApplicationID, &e.Detail); err != nil {
			return nil, database.MapError(err, "accounts: audit")
		}
		out = append(out, e)
	}
	return out, database.MapError(rows.Err(), "accounts: audit")
}
