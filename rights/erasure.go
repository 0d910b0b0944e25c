package rights

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
)

// NextcloudChoice is what an erasure does on the host's Nextcloud, a
// separate and explicit choice: the workspace may hold files the
// association still needs.
type NextcloudChoice string

// The Nextcloud choices of an erasure.
const (
	// NextcloudKeep leaves the workspace as it is: the association keeps
	// its accounts and files on the host, whose own terms then apply.
	NextcloudKeep NextcloudChoice = "keep"
	// NextcloudDisable disables the association's accounts: nobody can sign
	// in any more; files stay on the host until the association asks it.
	NextcloudDisable NextcloudChoice = "disable"
	// NextcloudDelete deletes the association's accounts, group and group
	// folder with every file in it, and its calendar, address book, Team,
	// board and conversation: a clean-up job of the provisioning engine,
	// resumable and shown like provisioning. It cannot be undone.
	NextcloudDelete NextcloudChoice = "delete"
)

// NextcloudChoices lists the choices offered, the mildest first.
var NextcloudChoices = []NextcloudChoice{NextcloudKeep, NextcloudDisable, NextcloudDelete}

// Cleanup starts the deletion of a request's workspace on its host inside
// the erasure's transaction (provisioning.Engine.EnqueueCleanup): the
// deletion is decided with the erasure, or not at all.
type Cleanup func(ctx context.Context, tx *sql.Tx, applicationID string) (string, error)

// ParseNextcloudChoice checks a choice sent by a form.
func ParseNextcloudChoice(s string) (NextcloudChoice, bool) {
	for _, c := range NextcloudChoices {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}

// ErasureRequest is a request for erasure, open or answered.
type ErasureRequest struct {
	ID            string
	ApplicationID string
	HostID        string
	RequestedBy   string
	RequestedAt   time.Time
	Status        Status
	AnsweredAt    time.Time
	Nextcloud     NextcloudChoice // the association's wish while open, what was done once answered
	Reason        string          // why staff refused it, when they did
}

// Overdue reports whether an open request has waited longer than the law
// allows at now.
func (r *ErasureRequest) Overdue(now time.Time) bool {
	return r.Status == StatusOpen && now.Sub(r.RequestedAt) > AnswerWithin
}

// AskErasure records the association's request to erase its request id,
// with its wish for the Nextcloud workspace. A draft, which no host has
// seen, is erased at once (done is then true); any other request waits for
// the confirmation of its host's staff. Asking twice returns the open
// request. Errors: not found (erased already), invalid (unknown choice).
func (s *Store) AskErasure(ctx context.Context, id string, wish NextcloudChoice) (req *ErasureRequest, done bool, err error) {
	if _, ok := ParseNextcloudChoice(string(wish)); !ok {
		return nil, false, apperr.New(apperr.Invalid, "rights.err.choice", "rights: ask erasure")
	}
	now := s.now()
	var email string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		hostID, status, err := requestState(ctx, tx, id)
		if err != nil {
			return err
		}
		if open, err := openErasure(ctx, tx, id); err == nil {
			req = open
			return nil
		} else if err != sql.ErrNoRows {
			return err
		}
		line := registerLine{Kind: KindErasure, ApplicationID: id, HostID: hostID, By: "association", At: now,
			Status: StatusOpen, Nextcloud: string(wish)}
		if status == "draft" {
			line.Status, line.AnsweredBy, line.Nextcloud, done = StatusDone, "association", string(NextcloudKeep), true
			if email, err = contactOf(ctx, tx, id); err != nil {
				return err
			}
			if err := eraseRequest(ctx, tx, id, now, false); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, actor, detail, public, created_at)
			VALUES ($1, $2, '', '', TRUE, $3)`, id, onboarding.EventErasureRequested, now); err != nil {
			return err
		}
		if err := record(ctx, tx, &line); err != nil {
			return err
		}
		req, err = openErasureByID(ctx, tx, line.ID)
		return err
	})
	if err != nil {
		return nil, false, database.MapError(err, "rights: ask erasure")
	}
	if done {
		if err := forgetOutboxFiles(s.OutboxDir, email); err != nil {
			return req, done, err
		}
	}
	return req, done, nil
}

// PendingErasure returns the open erasure request of request id; not found
// when there is none.
func (s *Store) PendingErasure(ctx context.Context, id string) (*ErasureRequest, error) {
	var req *ErasureRequest
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		req, err = openErasure(ctx, tx, id)
		return err
	})
	return req, database.MapError(err, "rights: pending erasure")
}

// Erased is what a confirmed erasure did and leaves to do on Nextcloud.
type Erased struct {
	Request *ErasureRequest
	// Workspace is true when the request had a workspace, which
	// Request.Nextcloud says what to do with.
	Workspace bool
	// CleanupJob is the provisioning job deleting the workspace, when the
	// choice was to delete it.
	CleanupJob string
}

// ConfirmErasure erases request id and everything hanging from it, on the
// decision of actor: staff of the request's host, or an administrator. The
// erasure, its register line (the minimal record that stays: what, when, at
// whose request, answered by whom) and its audit line commit together.
// Without an open request from the association (one received by letter or
// e-mail), the register says staff asked on its behalf. Errors: not found
// (also for a request actor may not see), conflict (a workspace is being
// created: wait or cancel it), invalid (unknown choice).
func (s *Store) ConfirmErasure(ctx context.Context, actor *accounts.User, id string, nc NextcloudChoice) (*Erased, error) {
	return s.ConfirmErasureWith(ctx, actor, id, nc, nil)
}

// ConfirmErasureWith is ConfirmErasure where the choice "delete" enqueues
// the workspace's clean-up with cleanup, in the same transaction; the
// clean-up job's id is then in Erased.CleanupJob. Without cleanup, "delete"
// is refused (invalid).
func (s *Store) ConfirmErasureWith(ctx context.Context, actor *accounts.User, id string, nc NextcloudChoice, cleanup Cleanup) (*Erased, error) {
	if _, ok := ParseNextcloudChoice(string(nc)); !ok {
		return nil, apperr.New(apperr.Invalid, "rights.err.choice", "rights: confirm erasure")
	}
	now := s.now()
	out := &Erased{}
	var email string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		hostID, err := scopeRequest(ctx, tx, Requester{Staff: actor}, id)
		if err != nil {
			return err
		}
		var busy, workspace bool
		if err := tx.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM provisioning_jobs WHERE application_id = $1 AND status IN ('pending', 'running', 'retry')),
			EXISTS (SELECT 1 FROM workspaces WHERE application_id = $1)`, id).Scan(&busy, &workspace); err != nil {
			return err
		}
		if busy {
			return apperr.New(apperr.Conflict, "rights.err.provisioning", "rights: confirm erasure")
		}
		if !workspace {
			nc = NextcloudKeep
		}
		out.Workspace = workspace
		if nc == NextcloudDelete {
			if cleanup == nil {
				return apperr.New(apperr.Invalid, "rights.err.choice", "rights: confirm erasure")
			}
			if out.CleanupJob, err = cleanup(ctx, tx, id); err != nil {
				return err
			}
		}
		req, err := openErasure(ctx, tx, id)
		if err == sql.ErrNoRows {
			line := registerLine{Kind: KindErasure, ApplicationID: id, HostID: hostID, By: actor.ID, At: now, Status: StatusOpen}
			if err := record(ctx, tx, &line); err != nil {
				return err
			}
			req, err = openErasureByID(ctx, tx, line.ID)
		}
		if err != nil {
			return err
		}
		to, err := addresseeOf(ctx, tx, id)
		if err != nil {
			return err
		}
		email = to.Email
		if err := eraseRequest(ctx, tx, id, now, false); err != nil {
			return err
		}
		// The association is told, at the address just erased: the outbox
		// row names no request (the request's row may be gone) and keeps no
		// address, name or subject once sent.
		if err := s.tell(ctx, tx, to, "erased", map[string]any{"Name": to.Name, "Host": to.HostName, "At": now,
			"Workspace": workspace, "Nextcloud": string(nc)}, ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rights_requests SET status = $1, answered_at = $2, answered_by = $3, nextcloud = $4
			WHERE id = $5`, string(StatusDone), now, actor.ID, string(nc), req.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, now, actor.ID, actor.Email, accounts.ActionRightsErased, hostID, id, string(nc)); err != nil {
			return err
		}
		req.Status, req.AnsweredAt, req.Nextcloud = StatusDone, now, nc
		out.Request = req
		return nil
	})
	if err != nil {
		return nil, database.MapError(err, "rights: confirm erasure")
	}
	if err := forgetOutboxFiles(s.OutboxDir, email); err != nil {
		return out, err
	}
	return out, nil
}

// requestState reads a request's host and status; not found once erased.
func requestState(ctx context.Context, tx *sql.Tx, id string) (hostID, status string, err error) {
	var erased sql.NullTime
	err = tx.QueryRowContext(ctx, `SELECT COALESCE(host_id, ''), status, erased_at FROM applications WHERE id = $1`, id).
		Scan(&hostID, &status, &erased)
	if err == nil && erased.Valid {
		err = sql.ErrNoRows
	}
	return hostID, status, err
}

const erasureColumns = `id, application_id, host_id, requested_by, requested_at, status, answered_at, nextcloud, reason`

func scanErasure(row *sql.Row) (*ErasureRequest, error) {
	var r ErasureRequest
	var answered sql.NullTime
	var status, nc string
	if err := row.Scan(&r.ID, &r.ApplicationID, &r.HostID, &r.RequestedBy, &r.RequestedAt, &status, &answered, &nc, &r.Reason); err != nil {
		return nil, err
	}
	r.Status, r.AnsweredAt, r.Nextcloud = Status(status), answered.Time, NextcloudChoice(nc)
	return &r, nil
}

func openErasure(ctx context.Context, tx *sql.Tx, applicationID string) (*ErasureRequest, error) {
	return scanErasure(tx.QueryRowContext(ctx, `SELECT `+erasureColumns+` FROM rights_requests
		WHERE application_id = $1 AND kind = 'erasure' AND status = 'open' ORDER BY requested_at DESC LIMIT 1`, applicationID))
}

func openErasureByID(ctx context.Context, tx *sql.Tx, id string) (*ErasureRequest, error) {
	return scanErasure(tx.QueryRowContext(ctx, `SELECT `+erasureColumns+` FROM rights_requests WHERE id = $1`, id))
}

// ErasureState is what an erasure page shows: the open request if any, and
// the workspace the Nextcloud choice is about.
type ErasureState struct {
	Status  string // the request's status
	Pending *ErasureRequest
	// Refused is the last erasure request staff refused, when none is
	// open: the association reads the reason.
	Refused           *ErasureRequest
	Workspace         bool
	WorkspaceDisabled bool
}

// ErasureStateOf reads the erasure state of request id as who may see it.
// Errors: not found (also for a request who may not see), internal.
func (s *Store) ErasureStateOf(ctx context.Context, who Requester, id string) (*ErasureState, error) {
	st := &ErasureState{}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := scopeRequest(ctx, tx, who, id); err != nil {
			return err
		}
		var disabled sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT a.status, w.application_id IS NOT NULL, w.disabled_at
			FROM applications a LEFT JOIN workspaces w ON w.application_id = a.id WHERE a.id = $1`, id).
			Scan(&st.Status, &st.Workspace, &disabled)
		if err != nil {
			return err
		}
		st.WorkspaceDisabled = disabled.Valid
		switch p, err := openErasure(ctx, tx, id); {
		case err == nil:
			st.Pending = p
			return nil
		case err != sql.ErrNoRows:
			return err
		}
		switch r, err := scanErasure(tx.QueryRowContext(ctx, `SELECT `+erasureColumns+` FROM rights_requests
			WHERE application_id = $1 AND kind = 'erasure' AND status = 'refused' ORDER BY answered_at DESC LIMIT 1`, id)); {
		case err == nil:
			st.Refused = r
		case err != sql.ErrNoRows:
			return err
		}
		return nil
	})
	if err != nil {
		return nil, database.MapError(err, "rights: erasure state")
	}
	return st, nil
}

// addressee is whom the association's e-mails about its data go to.
type addressee struct {
	Email, Name, Lang, HostName string
}

// addresseeOf reads a request's contact address, name, language and host.
func addresseeOf(ctx context.Context, tx *sql.Tx, id string) (addressee, error) {
	var a addressee
	err := tx.QueryRowContext(ctx, `SELECT a.contact_email, a.association_name, a.language, COALESCE(h.name, '')
		FROM applications a LEFT JOIN hosts h ON h.id = a.host_id WHERE a.id = $1`, id).Scan(&a.Email, &a.Name, &a.Lang, &a.HostName)
	return a, err
}

// tell puts an e-mail to the association in the outbox inside tx. An
// e-mail about request (non-empty) goes when the request is erased; one
// without request is the notice of the erasure itself, whose copy forgets
// its recipient once sent.
func (s *Store) tell(ctx context.Context, tx *sql.Tx, to addressee, template string, data map[string]any, request string) error {
	if s.Postman == nil || to.Email == "" {
		return nil
	}
	return s.Postman.Enqueue(ctx, tx, mail.Letter{Lang: to.Lang, Template: template, To: to.Email, Data: data,
		RequestID: request, ForgetOnceSent: request == ""})
}

// contactOf reads a request's contact address.
func contactOf(ctx context.Context, tx *sql.Tx, id string) (string, error) {
	var email string
	err := tx.QueryRowContext(ctx, `SELECT contact_email FROM applications WHERE id = $1`, id).Scan(&email)
	return email, err
}

// forgetOutboxFiles removes the e-mail files written to addr in dir (the
// outbox of a service without SMTP server). The erasure itself is
// committed: a file that cannot be removed is an internal error to retry
// by hand, logged by the caller.
func forgetOutboxFiles(dir, addr string) error {
	if dir == "" || addr == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return apperr.Wrap(apperr.Internal, "error.internal", "rights: outbox files", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		m, err := mail.ReadMessage(path)
		if err != nil || !strings.EqualFold(m.To, addr) {
			continue
		}
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return apperr.Wrap(apperr.Internal, "error.internal", "rights: outbox files", err)
		}
	}
	return nil
}

// MaxReasonLength bounds a refusal's reason, in characters.
const MaxReasonLength = 4000

// Refusal is staff's refusal of an erasure request, with the reason told
// to the association (a legal obligation to keep the data, a request that
// does not come from the association...).
type Refusal struct {
	Reason string `form:"refusal_reason"`
}

// Validate trims the reason and checks it is given and not too long; the
// reason is kept as typed otherwise, to be shown back.
func (r *Refusal) Validate() onboarding.FieldErrors {
	r.Reason = strings.TrimSpace(r.Reason)
	switch {
	case r.Reason == "":
		return onboarding.FieldErrors{{Field: "refusal_reason", Key: "rights.err.refusal_reason.required"}}
	case utf8.RuneCountInString(r.Reason) > MaxReasonLength:
		return onboarding.FieldErrors{{Field: "refusal_reason", Key: "err.too_long"}}
	}
	return nil
}

// RefuseErasure refuses the open erasure request of request id on the
// decision of actor: staff of the request's host, or an administrator.
// The register line is answered as refused with its reason, the request's
// timeline says so, and the audit line and the association's e-mail (with
// the reason) commit in the same transaction: all of it or nothing.
// Nothing is erased. Errors: invalid (no reason, or too long), not found
// (a request actor may not see), conflict (no open erasure request: none
// was made, or it was answered meanwhile).
func (s *Store) RefuseErasure(ctx context.Context, actor *accounts.User, id string, r Refusal) (*ErasureRequest, error) {
	if fe := r.Validate(); len(fe) > 0 {
		return nil, apperr.New(apperr.Invalid, fe[0].Key, "rights: refuse erasure")
	}
	now := s.now()
	var out *ErasureRequest
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		hostID, err := scopeRequest(ctx, tx, Requester{Staff: actor}, id)
		if err != nil {
			return err
		}
		req, err := openErasure(ctx, tx, id)
		if err == sql.ErrNoRows {
			return apperr.New(apperr.Conflict, "rights.err.no_open_erasure", "rights: refuse erasure")
		}
		if err != nil {
			return err
		}
		// The status guard makes a refusal and a confirmation sent together
		// answer the request once.
		res, err := tx.ExecContext(ctx, `UPDATE rights_requests SET status = $1, answered_at = $2, answered_by = $3, reason = $4
			WHERE id = $5 AND status = 'open'`, string(StatusRefused), now, actor.ID, r.Reason, req.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "rights.err.answered", "rights: refuse erasure")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, actor, detail, public, created_at)
			VALUES ($1, $2, $3, '', TRUE, $4)`, id, onboarding.EventErasureRefused, actor.ID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6, '')`, now, actor.ID, actor.Email, accounts.ActionRightsErasureRefused, hostID, id); err != nil {
			return err
		}
		to, err := addresseeOf(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.tell(ctx, tx, to, "erasure_refused", map[string]any{"Name": to.Name, "Host": to.HostName,
			"Reason": r.Reason, "AskedAt": req.RequestedAt}, id); err != nil {
			return err
		}
		req.Status, req.AnsweredAt, req.Reason = StatusRefused, now, r.Reason
		out = req
		return nil
	})
	if err != nil {
		return nil, database.MapError(err, "rights: refuse erasure")
	}
	return out, nil
}

// ErasedRecord is what stays readable of an erased request: the register's
// minimal record, without anything personal.
type ErasedRecord struct {
	ApplicationID string
	HostID        string
	ByAssociation bool   // the association asked (rather than staff on its behalf)
	RequestedBy   string // "association", or the name of a staff account (a pseudonym once deleted)
	RequestedAt   time.Time
	AnsweredBy    string
	AnsweredAt    time.Time
	Nextcloud     NextcloudChoice
}

// ErasedFor returns the record of the erasure of request id as actor may
// read it: an administrator any, a host's staff (any role) those of their
// host. A draft the association erased itself, which no host saw, has
// none. Errors: not found (not erased, or not actor's to read), internal.
func (s *Store) ErasedFor(ctx context.Context, actor *accounts.User, id string) (*ErasedRecord, error) {
	notFound := apperr.New(apperr.NotFound, "error.not_found", "rights: erased request")
	if actor == nil || (!actor.Admin() && actor.HostID == "") {
		return nil, notFound
	}
	var r ErasedRecord
	var rqName, anName string
	var answered sql.NullTime
	var nc string
	err := s.db.QueryRowContext(ctx, `SELECT r.application_id, r.host_id, r.requested_by, COALESCE(NULLIF(rq.name, ''), rq.email, ''),
		r.requested_at, r.answered_by, COALESCE(NULLIF(an.name, ''), an.email, ''), r.answered_at, r.nextcloud
		FROM rights_requests r
		LEFT JOIN staff_users rq ON rq.id = r.requested_by
		LEFT JOIN staff_users an ON an.id = r.answered_by
		WHERE r.application_id = $1 AND r.kind = 'erasure' AND r.status = 'done' AND r.answered_by <> 'association'
		AND ($2 OR r.host_id = $3) ORDER BY r.answered_at DESC LIMIT 1`, id, actor.Admin(), actor.HostID).
		Scan(&r.ApplicationID, &r.HostID, &r.RequestedBy, &rqName, &r.RequestedAt, &r.AnsweredBy, &anName, &answered, &nc)
	if err == sql.ErrNoRows {
		return nil, notFound
	}
	if err != nil {
		return nil, database.MapError(err, "rights: erased request")
	}
	r.ByAssociation = r.RequestedBy == "association"
	r.RequestedBy, r.AnsweredBy = displayName(r.RequestedBy, rqName), displayName(r.AnsweredBy, anName)
	r.AnsweredAt, r.Nextcloud = answered.Time, NextcloudChoice(nc)
	return &r, nil
}
