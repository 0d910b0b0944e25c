package onboarding

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/privlink"
)

// Store keeps requests, their private links and their timelines.
type Store struct {
	db  *database.DB
	now func() time.Time
}

// NewStore returns a Store on db; now may be nil (time.Now).
func NewStore(db *database.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: func() time.Time { return now().UTC() }}
}

// appColumns are read from "applications a".
const appColumns = `a.id, a.status, a.step, a.language, a.answers, COALESCE(a.host_id, ''), a.match_reason,
	a.email_verified_at, a.version, a.created_at, a.updated_at, a.submitted_at, a.reopened_steps, a.erased_at`

type scanner interface{ Scan(...any) error }

func scanApplication(row scanner) (*Application, error) {
	var a Application
	var answers, reopened string
	var verified, submitted, erased sql.NullTime
	if err := row.Scan(&a.ID, &a.Status, &a.Step, &a.Language, &answers, &a.HostID, &a.MatchReason,
		&verified, &a.Version, &a.CreatedAt, &a.UpdatedAt, &submitted, &reopened, &erased); err != nil {
		return nil, err
	}
	a.Reopened = parseSteps(reopened)
	if err := json.Unmarshal([]byte(answers), &a.Answers); err != nil {
		return nil, fmt.Errorf("decode answers of %s: %w", a.ID, err)
	}
	a.EmailVerifiedAt, a.SubmittedAt, a.ErasedAt = verified.Time, submitted.Time, erased.Time
	return &a, nil
}

// Kinds of private links.
const (
	linkBrowser = "browser" // the cookie of the browser that filled the form
	linkMail    = "mail"    // e-mailed to the contact; opening it confirms the address
)

// Create stores a new draft from its first step and returns it with the
// token of the browser that filled it (for its cookie). The token is never
// stored in clear; it resumes the request but confirms no address: only a
// link from MailLink does.
func (s *Store) Create(ctx context.Context, lang string, first AssociationStep) (*Application, string, error) {
	now := s.now()
	a := &Application{
		ID: uuid.NewString(), Status: StatusDraft, Step: StepMembers, Language: lang,
		Answers: Answers{Association: first}, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	token, hash := privlink.New()
	answers, err := json.Marshal(a.Answers)
	if err != nil {
		return nil, "", err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO applications
			(id, status, step, language, answers, association_name, departement, services, legal_id, contact_email, version, created_at, updated_at, search_text)
			VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, 1, $10, $10, $11)`,
			a.ID, a.Status, a.Step, lang, string(answers), first.Name, first.Departement, first.LegalID,
			strings.ToLower(first.ContactEmail), now, searchText(&a.Answers)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO application_tokens (hash, application_id, created_at, kind) VALUES ($1, $2, $3, $4)`,
			hash, a.ID, now, linkBrowser); err != nil {
			return err
		}
		return addEvent(ctx, tx, a.ID, EventCreated, "", "", true, now)
	})
	if err != nil {
		return nil, "", database.MapError(err, "onboarding: create request")
	}
	return a, token, nil
}

// ByToken finds the request a private link opens; an unknown link is
// "not found", whatever the reason.
func (s *Store) ByToken(ctx context.Context, token string) (*Application, error) {
	if len(token) < 40 || len(token) > 64 {
		return nil, apperr.New(apperr.NotFound, "err.link.unknown", "onboarding: by token")
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+appColumns+` FROM applications a
		JOIN application_tokens t ON t.application_id = a.id WHERE t.hash = $1`, privlink.Hash(token))
	a, err := scanApplication(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Wrap(apperr.NotFound, "err.link.unknown", "onboarding: by token", err)
	}
	return a, database.MapError(err, "onboarding: by token")
}

// Get returns a request by id.
func (s *Store) Get(ctx context.Context, id string) (*Application, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+appColumns+` FROM applications a WHERE a.id = $1`, id)
	a, err := scanApplication(row)
	return a, database.MapError(err, "onboarding: get request")
}

// MayDecide reports whether an account may decide on requests (approve,
// decline, ask for more, plan the interview, transfer): administrators and
// staff. Trainers accompany associations: they read requests and keep
// notes, they do not decide.
func MayDecide(actor *accounts.User) bool {
	return actor != nil && (actor.Admin() || actor.Role == accounts.RoleStaff)
}

// ForStaff returns a request as a staff member may see it: not found for a
// draft (the association's alone) or for a request of a host the actor
// does not belong to, whether it exists or not (administrators see every
// host's, and the shared queue). The scope is in the query, so that a page
// forgetting a check still shows nothing of another host.
func (s *Store) ForStaff(ctx context.Context, actor *accounts.User, id string) (*Application, error) {
	if actor == nil {
		return nil, apperr.New(apperr.NotFound, "error.not_found", "onboarding: request for staff")
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+appColumns+` FROM applications a
		WHERE a.id = $1 AND a.status <> $2 AND ($3 OR (a.host_id = $4 AND $4 <> ''))`, id, StatusDraft, actor.Admin(), actor.HostID)
	a, err := scanApplication(row)
	return a, database.MapError(err, "onboarding: request for staff")
}

// DecidesOn checks, inside tx, that actor may decide on the request id:
// an administrator (any request, the shared queue's too), or an account
// that may decide (MayDecide) of the request's host. Not found otherwise,
// as if the request did not exist: the scope is in the SQL, so that a page
// that forgot its gate still changes nothing of another host's. An erased
// request is decided on by nobody: it is only the record of its erasure.
func DecidesOn(ctx context.Context, tx *sql.Tx, actor *accounts.User, id string) error {
	if !MayDecide(actor) {
		return apperr.New(apperr.NotFound, "error.not_found", "onboarding: decide")
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM applications a WHERE a.id = $1 AND a.status <> $2 AND a.erased_at IS NULL
		AND ($3 OR (a.host_id = $4 AND $4 <> ''))`,
		id, StatusDraft, actor.Admin(), actor.HostID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "error.not_found", "onboarding: decide")
	}
	return err
}

// MailLink adds a private link to e-mail to the request's current contact
// address (earlier links keep working) and returns its token. Opening it
// confirms that address.
func (s *Store) MailLink(ctx context.Context, a *Application) (string, error) {
	return s.MailLinkIn(ctx, s.db, a.ID, a.Answers.Association.ContactEmail)
}

// MailLinkIn is MailLink for a request's id and contact address, inside q
// (the transaction that queues the e-mail carrying it).
func (s *Store) MailLinkIn(ctx context.Context, q Querier, id, email string) (string, error) {
	token, hash := privlink.New()
	_, err := q.ExecContext(ctx, `INSERT INTO application_tokens (hash, application_id, created_at, kind, email) VALUES ($1, $2, $3, $4, $5)`,
		hash, id, s.now(), linkMail, strings.ToLower(email))
	return token, database.MapError(err, "onboarding: mail link")
}

// BrowserLink adds a token for a browser's cookie, which resumes the request
// but confirms nothing.
func (s *Store) BrowserLink(ctx context.Context, a *Application) (string, error) {
	token, hash := privlink.New()
	_, err := s.db.ExecContext(ctx, `INSERT INTO application_tokens (hash, application_id, created_at, kind) VALUES ($1, $2, $3, $4)`,
		hash, a.ID, s.now(), linkBrowser)
	return token, database.MapError(err, "onboarding: browser link")
}

// Open finds the request a private link opens, and reports whether the link
// was e-mailed to the request's current contact address (and so confirms
// it when opened).
func (s *Store) Open(ctx context.Context, token string) (*Application, bool, error) {
	a, err := s.ByToken(ctx, token)
	if err != nil {
		return nil, false, err
	}
	var kind, email string
	if err := s.db.QueryRowContext(ctx, `SELECT kind, email FROM application_tokens WHERE hash = $1`, privlink.Hash(token)).Scan(&kind, &email); err != nil {
		return nil, false, database.MapError(err, "onboarding: open link")
	}
	confirms := kind == linkMail && email != "" && strings.EqualFold(email, a.Answers.Association.ContactEmail)
	return a, confirms, nil
}

// Save writes the answers of a step, advancing the furthest step reached.
// The version guards against a concurrent change: a stale write is a
// conflict.
//
// Once sent, only the steps staff reopened may change (MayEdit); the
// statement checks the status again.
func (s *Store) Save(ctx context.Context, a *Application, done Step) error {
	return database.MapError(s.db.Tx(ctx, func(tx *sql.Tx) error { return s.save(ctx, tx, a, done) }), "onboarding: save")
}

func (s *Store) save(ctx context.Context, tx *sql.Tx, a *Application, done Step) error {
	if !a.Editable() || (a.Status != StatusDraft && !slices.Contains(a.Reopened, done)) {
		return apperr.New(apperr.Conflict, "err.request.locked", "onboarding: save")
	}
	step := a.Step
	if done+1 > step {
		step = done + 1
	}
	answers, err := json.Marshal(a.Answers)
	if err != nil {
		return err
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, `UPDATE applications SET answers = $1, step = $2, association_name = $3,
		departement = $4, services = $5, legal_id = $6, contact_email = $7, version = version + 1, updated_at = $8, search_text = $11
		WHERE id = $9 AND version = $10 AND status IN (`+editableList+`)`,
		string(answers), step, a.Answers.Association.Name, a.Answers.Association.Departement,
		strings.Join(a.Answers.Needs.Services, ","), a.Answers.Association.LegalID,
		strings.ToLower(a.Answers.Association.ContactEmail), now, a.ID, a.Version, searchText(&a.Answers))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: save")
	}
	a.Step = step
	a.Version++
	a.UpdatedAt = now
	return nil
}

// LinkMailer writes, inside a workflow's transaction, the e-mail carrying
// a new private link to the request's contact address (the outbox sends it
// once the transaction commits). A nil LinkMailer sends nothing: the
// association can ask for the link again.
type LinkMailer func(ctx context.Context, tx *sql.Tx, a *Application, token string) error

// SaveAssociation saves the first step's answers of a request. When they
// change the contact address, the same transaction forgets that the address
// was confirmed, revokes every earlier link (opening one would otherwise
// confirm the new address without it receiving anything), makes a token for
// this browser's cookie (returned; empty when the address did not change)
// and mails a link to the new address, with its timeline entry: all of it
// happens, or none.
func (s *Store) SaveAssociation(ctx context.Context, a *Application, f AssociationStep, mailer LinkMailer) (string, error) {
	changed := !strings.EqualFold(a.Answers.Association.ContactEmail, f.ContactEmail)
	before := *a
	a.Answers.Association = f
	var browser string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.save(ctx, tx, a, StepAssociation); err != nil {
			return err
		}
		if !changed {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET email_verified_at = NULL WHERE id = $1`, a.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM application_tokens WHERE application_id = $1`, a.ID); err != nil {
			return err
		}
		var err error
		if browser, err = newLink(ctx, tx, a, linkBrowser, s.now()); err != nil {
			return err
		}
		return s.mailLink(ctx, tx, a, mailer)
	})
	if err != nil {
		*a = before
		return "", database.MapError(err, "onboarding: save association")
	}
	if changed {
		a.EmailVerifiedAt = time.Time{}
	}
	return browser, nil
}

// SendLink mails a new private link to the request's contact address (the
// earlier ones keep working), with its timeline entry, in one transaction.
func (s *Store) SendLink(ctx context.Context, a *Application, mailer LinkMailer) error {
	return database.MapError(s.db.Tx(ctx, func(tx *sql.Tx) error { return s.mailLink(ctx, tx, a, mailer) }), "onboarding: send link")
}

func (s *Store) mailLink(ctx context.Context, tx *sql.Tx, a *Application, mailer LinkMailer) error {
	if mailer == nil {
		return nil
	}
	now := s.now()
	token, err := newLink(ctx, tx, a, linkMail, now)
	if err != nil {
		return err
	}
	if err := mailer(ctx, tx, a, token); err != nil {
		return err
	}
	return addEvent(ctx, tx, a.ID, EventLinkSent, "", "", false, now)
}

// newLink stores a private link of a kind (a mail link names the address it
// goes to, which opening it confirms) and returns its token.
func newLink(ctx context.Context, tx *sql.Tx, a *Application, kind string, now time.Time) (string, error) {
	token, hash := privlink.New()
	email := ""
	if kind == linkMail {
		email = strings.ToLower(a.Answers.Association.ContactEmail)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO application_tokens (hash, application_id, created_at, kind, email) VALUES ($1, $2, $3, $4, $5)`,
		hash, a.ID, now, kind, email)
	return token, err
}

// ResetVerification forgets a verified address after the contact changed
// it, and revokes the links sent so far: opening one of them would otherwise
// confirm the new address without it ever receiving anything. The caller
// sends a new link to the new address.
func (s *Store) ResetVerification(ctx context.Context, a *Application) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET email_verified_at = NULL WHERE id = $1`, a.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM application_tokens WHERE application_id = $1`, a.ID)
		return err
	})
	if err == nil {
		a.EmailVerifiedAt = time.Time{}
	}
	return database.MapError(err, "onboarding: reset verification")
}

// Verify records that the contact opened the private link sent by e-mail.
func (s *Store) Verify(ctx context.Context, a *Application) error {
	if a.Verified() {
		return nil
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL`, now, a.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return addEvent(ctx, tx, a.ID, EventEmailVerified, "", "", true, now)
	})
	if err == nil {
		a.EmailVerifiedAt = now
	}
	return database.MapError(err, "onboarding: verify")
}

// Submit sends a complete, verified draft to the hosts; then runs in its
// transaction, with a's status, host and submission time already set.
func (s *Store) Submit(ctx context.Context, a *Application, hosts []Host, then ...database.Then) error {
	if !a.Editable() {
		return apperr.New(apperr.Conflict, "err.request.already_submitted", "onboarding: submit")
	}
	if !a.Verified() {
		return apperr.New(apperr.Forbidden, "err.request.unverified", "onboarding: submit")
	}
	if step := a.Answers.Complete(hosts); step != 0 {
		return apperr.New(apperr.Invalid, "err.request.incomplete", "onboarding: submit")
	}
	if fe := a.Answers.Consent.Validate(); len(fe) > 0 {
		return apperr.New(apperr.Invalid, "err.request.consent", "onboarding: submit")
	}
	answers, err := json.Marshal(a.Answers)
	if err != nil {
		return err
	}
	now := s.now()
	before := *a
	chosen := sql.NullString{}
	for _, h := range hosts {
		if h.Slug == a.Answers.Host.Choice {
			chosen = sql.NullString{String: h.ID, Valid: true}
		}
	}
	// The first sending gives the request to the host the association
	// chose. Sent again after staff asked for more, it stays where it is:
	// only staff move a request (Transfer), and a new choice of host is
	// a wish they read in the timeline.
	hostID := chosen
	resent := a.Status == StatusInfoRequested
	if resent {
		hostID = sql.NullString{String: a.HostID, Valid: a.HostID != ""}
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET status = $1, answers = $2, host_id = $3,
			submitted_at = $4, updated_at = $4, version = version + 1
			WHERE id = $5 AND version = $6 AND status = $7 AND COALESCE(host_id, '') = $8`,
			StatusSubmitted, string(answers), hostID, now, a.ID, a.Version, a.Status, a.HostID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: submit")
		}
		if resent && chosen.String != a.HostID && a.Answers.Host.Choice != "" {
			if err := addEvent(ctx, tx, a.ID, EventHostWish, "", a.Answers.Host.Choice, false, now); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, a.ID, string(StatusSubmitted), "", "", true, now); err != nil {
			return err
		}
		a.Status, a.SubmittedAt, a.HostID = StatusSubmitted, now, hostID.String
		a.Version++
		return database.RunThen(tx, then)
	})
	if err != nil {
		a.Status, a.SubmittedAt, a.HostID, a.Version = before.Status, before.SubmittedAt, before.HostID, before.Version
		return database.MapError(err, "onboarding: submit")
	}
	return nil
}

// Withdraw ends a request at the association's wish; then runs in its
// transaction, with a's status already set.
func (s *Store) Withdraw(ctx context.Context, a *Application, then ...database.Then) error {
	if !a.Status.Withdrawable() {
		return apperr.New(apperr.Conflict, "err.request.not_withdrawable", "onboarding: withdraw")
	}
	now := s.now()
	before := *a
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET status = $1, updated_at = $2, version = version + 1
			WHERE id = $3 AND status = $4`, StatusWithdrawn, now, a.ID, a.Status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: withdraw")
		}
		if err := addEvent(ctx, tx, a.ID, string(StatusWithdrawn), "", "", true, now); err != nil {
			return err
		}
		a.Status = StatusWithdrawn
		a.Version++
		return database.RunThen(tx, then)
	})
	if err != nil {
		a.Status, a.Version = before.Status, before.Version
		return database.MapError(err, "onboarding: withdraw")
	}
	return nil
}

// FindDuplicate returns an open request with the same legal id, or the same
// contact address, other than exceptID; not found when there is none.
func (s *Store) FindDuplicate(ctx context.Context, legalID, email, exceptID string) (*Application, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+appColumns+` FROM applications a
		WHERE a.id <> $1 AND a.status IN (`+openList+`)
		AND (($2 <> '' AND a.legal_id = $2) OR a.contact_email = $3)
		ORDER BY a.created_at LIMIT 1`, exceptID, legalID, strings.ToLower(email))
	a, err := scanApplication(row)
	return a, database.MapError(err, "onboarding: find duplicate")
}

// AddEvent appends an entry to a request's timeline.
func (s *Store) AddEvent(ctx context.Context, id, kind, actor, detail string, public bool) error {
	return database.MapError(addEvent(ctx, s.db, id, kind, actor, detail, public, s.now()), "onboarding: add event")
}

// AddEventIn is AddEvent inside the transaction of the change the entry
// records: they commit together.
func (s *Store) AddEventIn(ctx context.Context, id, kind, actor, detail string, public bool) database.Then {
	return func(tx *sql.Tx) error {
		return database.MapError(addEvent(ctx, tx, id, kind, actor, detail, public, s.now()), "onboarding: add event")
	}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func addEvent(ctx context.Context, db execer, id, kind, actor, detail string, public bool, at time.Time) error {
	// The entry records the host the request is with as it is written:
	// who wrote it is that host's to know (see Timeline).
	_, err := db.ExecContext(ctx, `INSERT INTO application_events (application_id, kind, actor, detail, public, created_at, host_id)
		VALUES ($1, $2, $3, $4, $5, $6, COALESCE((SELECT host_id FROM applications WHERE id = $1), ''))`, id, kind, actor, detail, public, at)
	return err
}

// Events returns a request's timeline, oldest first; publicOnly hides what
// only staff may read.
func (s *Store) Events(ctx context.Context, id string, publicOnly bool) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, actor, detail, public, created_at FROM application_events
		WHERE application_id = $1 AND (public = TRUE OR $2 = FALSE) ORDER BY id`, id, publicOnly)
	if err != nil {
		return nil, database.MapError(err, "onboarding: events")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Kind, &e.Actor, &e.Detail, &e.Public, &e.CreatedAt); err != nil {
			return nil, database.MapError(err, "onboarding: events")
		}
		out = append(out, e)
	}
	return out, database.MapError(rows.Err(), "onboarding: events")
}

// Timeline returns a request's timeline as a staff member reads it, oldest
// first: every entry, but the names of staff of another host (the request
// was transferred) are left out; administrators read them all.
func (s *Store) Timeline(ctx context.Context, actor *accounts.User, id string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, CASE WHEN $2 OR host_id = '' OR host_id = $3 THEN actor ELSE '' END,
		detail, public, created_at FROM application_events WHERE application_id = $1 ORDER BY id`, id, actor.Admin(), actor.HostID)
	if err != nil {
		return nil, database.MapError(err, "onboarding: timeline")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Kind, &e.Actor, &e.Detail, &e.Public, &e.CreatedAt); err != nil {
			return nil, database.MapError(err, "onboarding: timeline")
		}
		out = append(out, e)
	}
	return out, database.MapError(rows.Err(), "onboarding: timeline")
}

// OpenHosts lists the partner hosts an association may choose, by name.
func (s *Store) OpenHosts(ctx context.Context) ([]Host, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+hostColumns+` FROM hosts h WHERE h.paused = FALSE ORDER BY h.name, h.id`)
	if err != nil {
		return nil, database.MapError(err, "onboarding: hosts")
	}
	defer rows.Close()
	var out []Host
	for rows.Next() {
		h, err := scanHost(rows)
		if err != nil {
			return nil, database.MapError(err, "onboarding: hosts")
		}
		out = append(out, h)
	}
	return out, database.MapError(rows.Err(), "onboarding: hosts")
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
