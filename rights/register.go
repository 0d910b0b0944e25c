package rights

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
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
