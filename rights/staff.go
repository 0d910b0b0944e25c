package rights

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// StaffExport is what Archipel holds about one staff account: the account,
// its sessions (never their tokens), what it did (the audit log), the
// notes it wrote and the data-rights requests it handled.
type StaffExport struct {
	Format      string              `json:"format"` // "archipel-staff-export"
	Version     int                 `json:"version"`
	GeneratedAt time.Time           `json:"generated_at"`
	Account     StaffAccount        `json:"account"`
	Sessions    []StaffSession      `json:"sessions"`
	Actions     []StaffAction       `json:"actions"`
	Notes       []StaffNote         `json:"notes"`
	Rights      []StaffRightsAnswer `json:"rights_requests"`
}

// StaffAccount is the account itself.
type StaffAccount struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	HostID      string     `json:"host_id"`
	Language    string     `json:"language"`
	Active      bool       `json:"active"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

// StaffSession is one sign-in session.
type StaffSession struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// StaffAction is one line of the audit log written by the account.
type StaffAction struct {
	At            time.Time `json:"at"`
	Action        string    `json:"action"`
	HostID        string    `json:"host_id"`
	ApplicationID string    `json:"application_id"`
	Detail        string    `json:"detail"`
}

// StaffNote is an internal note the account wrote on a request.
type StaffNote struct {
	ApplicationID string    `json:"application_id"`
	Body          string    `json:"body"`
	CreatedAt     time.Time `json:"created_at"`
}

// StaffRightsAnswer is a data-rights request the account made or answered.
type StaffRightsAnswer struct {
	Kind        string     `json:"kind"`
	RequestedAt time.Time  `json:"requested_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
}

// Pseudonym is the name a deleted staff account's actions keep: stable for
// one account, meaningless without the id it was made from.
func Pseudonym(userID string) string {
	sum := sha256.Sum256([]byte("archipel-staff:" + userID))
	return "staff-" + hex.EncodeToString(sum[:4])
}

// ExportStaff returns what is held about the account of actor, and records
// it in the register. A staff member exports their own data only.
func (s *Store) ExportStaff(ctx context.Context, actor *accounts.User) (*StaffExport, error) {
	if actor == nil {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden", "rights: staff export")
	}
	now := s.now()
	e := &StaffExport{Format: "archipel-staff-export", Version: 1, GeneratedAt: now,
		Sessions: []StaffSession{}, Actions: []StaffAction{}, Notes: []StaffNote{}, Rights: []StaffRightsAnswer{}}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		a := &e.Account
		var host sql.NullString
		var last sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT id, email, name, role, host_id, language, active, created_at, last_login_at
			FROM staff_users WHERE id = $1`, actor.ID).Scan(&a.ID, &a.Email, &a.Name, &a.Role, &host, &a.Language, &a.Active, &a.CreatedAt, &last); err != nil {
			return err
		}
		a.HostID, a.LastLoginAt = host.String, timePtr(last)
		if err := readRows(ctx, tx, `SELECT created_at, last_seen_at, expires_at FROM staff_sessions WHERE user_id = $1 ORDER BY created_at`,
			actor.ID, func(rows *sql.Rows) error {
				var v StaffSession
				err := rows.Scan(&v.CreatedAt, &v.LastSeenAt, &v.ExpiresAt)
				e.Sessions = append(e.Sessions, v)
				return err
			}); err != nil {
			return err
		}
		if err := readRows(ctx, tx, `SELECT at, action, host_id, application_id, detail FROM audit_log WHERE actor_id = $1 ORDER BY id`,
			actor.ID, func(rows *sql.Rows) error {
				var v StaffAction
				err := rows.Scan(&v.At, &v.Action, &v.HostID, &v.ApplicationID, &v.Detail)
				e.Actions = append(e.Actions, v)
				return err
			}); err != nil {
			return err
		}
		if err := readRows(ctx, tx, `SELECT application_id, body, created_at FROM application_notes WHERE author_id = $1 ORDER BY id`,
			actor.ID, func(rows *sql.Rows) error {
				var v StaffNote
				err := rows.Scan(&v.ApplicationID, &v.Body, &v.CreatedAt)
				e.Notes = append(e.Notes, v)
				return err
			}); err != nil {
			return err
		}
		if err := readRows(ctx, tx, `SELECT kind, requested_at, answered_at FROM rights_requests
			WHERE requested_by = $1 OR answered_by = $1 OR staff_id = $1 ORDER BY requested_at`, actor.ID, func(rows *sql.Rows) error {
			var v StaffRightsAnswer
			var answered sql.NullTime
			err := rows.Scan(&v.Kind, &v.RequestedAt, &answered)
			v.AnsweredAt = timePtr(answered)
			e.Rights = append(e.Rights, v)
			return err
		}); err != nil {
			return err
		}
		return record(ctx, tx, &registerLine{Kind: KindStaffExport, StaffID: actor.ID, HostID: actor.HostID, By: actor.ID,
			At: now, Status: StatusDone, AnsweredBy: actor.ID})
	})
	if err != nil {
		return nil, database.MapError(err, "rights: staff export")
	}
	return e, nil
}

// DeleteStaff deletes the staff account id on the decision of admin. What
// the account did stays in the audit log, the timelines and the notes
// under Pseudonym(id); its sessions, links, e-mails and case assignments
// go. Errors: forbidden (not an administrator), not found, conflict
// (deleting oneself, or the last active administrator).
func (s *Store) DeleteStaff(ctx context.Context, admin *accounts.User, id string) (string, error) {
	if admin == nil || !admin.Admin() {
		return "", apperr.New(apperr.Forbidden, "error.forbidden", "rights: delete staff")
	}
	if admin.ID == id {
		return "", apperr.New(apperr.Conflict, "rights.err.delete_self", "rights: delete staff")
	}
	now := s.now()
	pseudo := Pseudonym(id)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var email, name, role string
		var host sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT email, name, role, host_id FROM staff_users WHERE id = $1`, id).
			Scan(&email, &name, &role, &host); err != nil {
			return err
		}
		if role == string(accounts.RoleAdmin) {
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_users WHERE role = 'admin' AND active AND id <> $1`, id).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return apperr.New(apperr.Conflict, "rights.err.last_admin", "rights: delete staff")
			}
		}
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`UPDATE audit_log SET actor_email = $1 WHERE actor_id = $2`, []any{pseudo, id}},
			{`UPDATE audit_log SET detail = REPLACE(detail, $1, $2) WHERE detail LIKE '%' || $1 || '%'`, []any{email, pseudo}},
			{`UPDATE application_events SET actor = $1 WHERE actor = $2 OR actor = $3`, []any{pseudo, email, id}},
			{`UPDATE application_notes SET author_name = $1 WHERE author_id = $2`, []any{pseudo, id}},
			{`UPDATE interviews SET created_by = $1 WHERE created_by = $2 OR created_by = $3`, []any{pseudo, email, id}},
			{`DELETE FROM mail_outbox WHERE to_addr = $1`, []any{email}},
		} {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return err
			}
		}
		// Sessions, links and case assignments go with the account (ON
		// DELETE CASCADE); a request assigned to it is assigned to nobody.
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_users WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail)
			VALUES ($1, $2, $3, $4, $5, '', $6)`, now, admin.ID, admin.Email, accounts.ActionStaffDeleted, host.String, pseudo); err != nil {
			return err
		}
		return record(ctx, tx, &registerLine{Kind: KindStaffErasure, StaffID: id, HostID: host.String, By: admin.ID,
			At: now, Status: StatusDone, AnsweredBy: admin.ID})
	})
	if err != nil {
		return "", database.MapError(err, "rights: delete staff")
	}
	return pseudo, nil
}
