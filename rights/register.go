package rights

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// Kind is what a data-rights request asks for.
type Kind string

// The kinds of data-rights requests.
const (
	KindExport       Kind = "export"        // a copy of the data (access, portability)
	KindErasure      Kind = "erasure"       // erase a request and what hangs from it
	KindStaffExport  Kind = "staff_export"  // a staff member's copy of their own data
	KindStaffErasure Kind = "staff_erasure" // a staff account deleted, its actions kept under a pseudonym
)

// Status is where a data-rights request stands.
type Status string

// The statuses of a data-rights request.
const (
	StatusOpen    Status = "open"    // waiting for the host's staff
	StatusDone    Status = "done"    // answered
	StatusRefused Status = "refused" // answered by a refusal, with its reason told to the requester
)

// AnswerWithin is how long a data-rights request may wait for its answer
// (GDPR article 12.3): older open requests are overdue.
const AnswerWithin = 30 * 24 * time.Hour

// registerLine is one line of the register.
type registerLine struct {
	ID            string
	Kind          Kind
	ApplicationID string
	StaffID       string
	HostID        string
	By            string
	At            time.Time
	Status        Status
	AnsweredBy    string
	Nextcloud     string
}

// record appends a line to the register; a line whose status is not open
// is answered at once (an export is answered when it is downloaded).
func record(ctx context.Context, tx *sql.Tx, l *registerLine) error {
	if l.ID == "" {
		l.ID = uuid.NewString()
	}
	var answered any
	if l.Status != StatusOpen {
		answered = l.At
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO rights_requests (id, kind, application_id, staff_id, host_id, requested_by,
		requested_at, status, answered_at, answered_by, nextcloud) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		l.ID, string(l.Kind), l.ApplicationID, l.StaffID, l.HostID, l.By, l.At, string(l.Status), answered, l.AnsweredBy, l.Nextcloud)
	return err
}

// RegisterEntry is one line of the register as staff read it.
type RegisterEntry struct {
	ID            string
	Kind          Kind
	ApplicationID string // empty for a staff account's request
	RequestExists bool   // the request still has a page (it was not deleted)
	HostID        string
	HostName      string
	RequestedBy   string // "association", or the name of a staff account
	RequestedAt   time.Time
	Status        Status
	AnsweredAt    time.Time
	AnsweredBy    string // "association", or the name of a staff account
	Nextcloud     string
	Reason        string // why it was refused, when it was
}

// Overdue reports whether the line is open past the month the law allows.
func (e *RegisterEntry) Overdue(now time.Time) bool {
	return e.Status == StatusOpen && now.Sub(e.RequestedAt) > AnswerWithin
}

// scope returns the host a staff account's register reading is limited
// to, "" for an administrator's; forbidden for anyone else.
func scope(actor *accounts.User) (string, error) {
	switch {
	case actor != nil && actor.Admin():
		return "", nil
	case actor != nil && actor.Role == accounts.RoleStaff && actor.HostID != "":
		return actor.HostID, nil
	}
	return "", apperr.New(apperr.Forbidden, "error.forbidden", "rights: register")
}

// Register returns the register as actor may read it: administrators all
// of it, staff the lines of their host; open lines first (oldest first),
// then the answered ones, newest first. Errors: forbidden (trainers),
// internal.
func (s *Store) Register(ctx context.Context, actor *accounts.User, limit int) ([]RegisterEntry, error) {
	hostID, err := scope(actor)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.kind, r.application_id, a.id IS NOT NULL AND a.erased_at IS NULL,
		r.host_id, COALESCE(h.name, ''), r.requested_by, COALESCE(NULLIF(rq.name, ''), rq.email, ''), r.requested_at, r.status,
		r.answered_at, r.answered_by, COALESCE(NULLIF(an.name, ''), an.email, ''), r.nextcloud, r.reason
		FROM rights_requests r
		LEFT JOIN applications a ON a.id = r.application_id
		LEFT JOIN hosts h ON h.id = r.host_id
		LEFT JOIN staff_users rq ON rq.id = r.requested_by
		LEFT JOIN staff_users an ON an.id = r.answered_by
		WHERE ($1 = '' OR r.host_id = $1)
		ORDER BY CASE WHEN r.status = 'open' THEN 0 ELSE 1 END,
			CASE WHEN r.status = 'open' THEN r.requested_at END ASC, r.requested_at DESC
		LIMIT $2`, hostID, limit)
	if err != nil {
		return nil, database.MapError(err, "rights: register")
	}
	defer rows.Close()
	var out []RegisterEntry
	for rows.Next() {
		var e RegisterEntry
		var kind, status, rqName, anName string
		var answered sql.NullTime
		if err := rows.Scan(&e.ID, &kind, &e.ApplicationID, &e.RequestExists, &e.HostID, &e.HostName, &e.RequestedBy, &rqName,
			&e.RequestedAt, &status, &answered, &e.AnsweredBy, &anName, &e.Nextcloud, &e.Reason); err != nil {
			return nil, database.MapError(err, "rights: register")
		}
		e.Kind, e.Status, e.AnsweredAt = Kind(kind), Status(status), answered.Time
		e.RequestedBy, e.AnsweredBy = displayName(e.RequestedBy, rqName), displayName(e.AnsweredBy, anName)
		out = append(out, e)
	}
	return out, database.MapError(rows.Err(), "rights: register")
}

// Waiting counts the open lines actor must see to: all of them for an
// administrator, their host's for staff; overdue ones have waited longer
// than the law allows. Trainers wait for nothing (zero, no error).
func (s *Store) Waiting(ctx context.Context, actor *accounts.User) (open, overdue int, err error) {
	hostID, err := scope(actor)
	if err != nil {
		return 0, 0, nil
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN requested_at < $2 THEN 1 END)
		FROM rights_requests WHERE status = 'open' AND ($1 = '' OR host_id = $1)`, hostID, s.now().Add(-AnswerWithin)).Scan(&open, &overdue)
	return open, overdue, database.MapError(err, "rights: waiting")
}

// displayName is how the register names who asked or answered: the
// association, a staff member by name, or a deleted one by pseudonym.
func displayName(by, name string) string {
	switch {
	case by == "" || by == "association":
		return by
	case name != "":
		return name
	}
	return Pseudonym(by)
}
