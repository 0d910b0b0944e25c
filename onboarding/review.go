package onboarding

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// ReopenableSteps are the steps staff may ask the association to complete.
var ReopenableSteps = []Step{StepAssociation, StepMembers, StepTools, StepNeeds, StepHost}

// InfoRequest is staff asking the association for more information: the
// steps to look at again and a message.
type InfoRequest struct {
	Steps   []string `form:"info_steps"`
	Message string   `form:"info_message"`
}

// Validate checks the request for information.
func (r *InfoRequest) Validate() FieldErrors {
	var fe FieldErrors
	if len(r.Steps) == 0 {
		fe.add("info_steps", "err.info_steps.required")
	}
	for _, slug := range r.Steps {
		st, ok := StepFromSlug(slug)
		if !ok || st == StepReview {
			fe.add("info_steps", "err.choice")
			break
		}
	}
	r.Message = clean(r.Message)
	fe.text("info_message", r.Message, true, maxLong)
	return fe
}

// RequestInfo sends a request back to the association on behalf of actor,
// the chosen steps reopened, with the message (shown on its status page)
// in the timeline; then (its audit line, the association's e-mail) commits
// in the same transaction: all of it or nothing. Not found for an actor
// who may not decide on it (DecidesOn).
func (s *Store) RequestInfo(ctx context.Context, a *Application, r InfoRequest, actor *accounts.User, then ...database.Then) error {
	if fe := r.Validate(); len(fe) > 0 {
		return apperr.New(apperr.Invalid, fe[0].Key, "onboarding: request info")
	}
	before := *a
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := DecidesOn(ctx, tx, actor, a.ID); err != nil {
			return err
		}
		if err := s.Transition(ctx, tx, a, StatusInfoRequested, actor.Email, r.Message); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET reopened_steps = $1 WHERE id = $2`, strings.Join(r.Steps, ","), a.ID); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		*a = before // nothing was kept
		return database.MapError(err, "onboarding: request info")
	}
	a.Reopened = parseSteps(strings.Join(r.Steps, ","))
	return nil
}

// ReopenedSteps returns the steps staff last asked the association to
// complete, in the flow's order.
func (s *Store) ReopenedSteps(ctx context.Context, id string) ([]Step, error) {
	var raw string
	if err := s.db.QueryRowContext(ctx, `SELECT reopened_steps FROM applications WHERE id = $1`, id).Scan(&raw); err != nil {
		return nil, database.MapError(err, "onboarding: reopened steps")
	}
	return parseSteps(raw), nil
}

// parseSteps reads a stored list of step slugs, in the flow's order.
func parseSteps(raw string) []Step {
	var out []Step
	for _, st := range ReopenableSteps {
		if oneOf(st.Slug(), splitList(raw)) {
			out = append(out, st)
		}
	}
	return out
}

// LastDetail returns the detail of the newest event of a kind in a
// timeline, such as the message of the last request for information.
func LastDetail(events []Event, kind string) string {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind == kind {
			return events[i].Detail
		}
	}
	return ""
}

// Decline is a decision to decline, with the reason sent to the
// association.
type Decline struct {
	Template string `form:"template"`
	Reason   string `form:"decline_reason"`
}

// Validate checks a decline.
func (d *Decline) Validate() FieldErrors {
	var fe FieldErrors
	d.Reason = clean(d.Reason)
	fe.text("decline_reason", d.Reason, true, 4000)
	return fe
}

// DeclineRequest ends a request with a reason, kept in the timeline, on
// behalf of actor; then (its audit line, the association's e-mail) commits
// in the same transaction: all of it or nothing. Not found for an actor
// who may not decide on it (DecidesOn).
func (s *Store) DeclineRequest(ctx context.Context, a *Application, d Decline, actor *accounts.User, then ...database.Then) error {
	if fe := d.Validate(); len(fe) > 0 {
		return apperr.New(apperr.Invalid, fe[0].Key, "onboarding: decline")
	}
	before := *a
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := DecidesOn(ctx, tx, actor, a.ID); err != nil {
			return err
		}
		if err := s.Transition(ctx, tx, a, StatusDeclined, actor.Email, d.Reason); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		*a = before // nothing was kept
	}
	return database.MapError(err, "onboarding: decline")
}

// TemplateLanguages are the languages a decline template may be written in.
var TemplateLanguages = []string{"fr", "en"}

// DeclineTemplate is a host's ready-made reason for declining, in one
// language; staff adapt it before sending.
type DeclineTemplate struct {
	ID        string
	HostID    string
	Language  string `form:"template_language"`
	Name      string `form:"template_name"`
	Body      string `form:"template_body"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks a decline template.
func (t *DeclineTemplate) Validate() FieldErrors {
	var fe FieldErrors
	t.Name, t.Body = clean(t.Name), clean(t.Body)
	fe.line("template_name", t.Name, true, 100)
	fe.choice("template_language", t.Language, TemplateLanguages, true)
	fe.text("template_body", t.Body, true, 4000)
	return fe
}

const templateColumns = `id, COALESCE(host_id, ''), language, name, body, created_at, updated_at`

func scanTemplate(row scanner) (*DeclineTemplate, error) {
	var t DeclineTemplate
	err := row.Scan(&t.ID, &t.HostID, &t.Language, &t.Name, &t.Body, &t.CreatedAt, &t.UpdatedAt)
	return &t, err
}

// DeclineTemplates lists a host's decline templates by name, in one
// language or, with lang empty, in all.
func (s *Store) DeclineTemplates(ctx context.Context, hostID, lang string) ([]DeclineTemplate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+templateColumns+` FROM decline_templates
		WHERE host_id = $1 AND ($2 = '' OR language = $2) ORDER BY language, name, id`, hostID, lang)
	if err != nil {
		return nil, database.MapError(err, "onboarding: decline templates")
	}
	defer rows.Close()
	var out []DeclineTemplate
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, database.MapError(err, "onboarding: decline templates")
		}
		out = append(out, *t)
	}
	return out, database.MapError(rows.Err(), "onboarding: decline templates")
}

// DeclineTemplate returns one of a host's decline templates; another
// host's is not found.
func (s *Store) DeclineTemplate(ctx context.Context, hostID, id string) (*DeclineTemplate, error) {
	t, err := scanTemplate(s.db.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM decline_templates
		WHERE id = $1 AND host_id = $2`, id, hostID))
	if err != nil {
		return nil, database.MapError(err, "onboarding: decline template")
	}
	return t, nil
}

// mayKeepTemplates checks, in tx, that actor may write hostID's decline
// templates: those who may decide (MayDecide) of that host, or an
// administrator for any host that exists. Not found otherwise.
func mayKeepTemplates(ctx context.Context, tx *sql.Tx, actor *accounts.User, hostID, op string) error {
	if !MayDecide(actor) || hostID == "" {
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM hosts WHERE id = $1 AND ($2 OR id = $3)`, hostID, actor.Admin(), actor.HostID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	return err
}

// SaveDeclineTemplate adds or changes one of a host's decline templates
// (t.ID empty adds one) on behalf of actor; then (the audit line) commits
// in the same transaction: all of it or nothing.
//
// Errors: invalid (the field's key); not found for an actor who may not
// write that host's templates (MayDecide, their host; administrators: any)
// or a template of another host.
func (s *Store) SaveDeclineTemplate(ctx context.Context, actor *accounts.User, t *DeclineTemplate, then ...database.Then) error {
	const op = "onboarding: save decline template"
	if fe := t.Validate(); len(fe) > 0 {
		return apperr.New(apperr.Invalid, fe[0].Key, op)
	}
	now := s.now()
	saved := *t
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := mayKeepTemplates(ctx, tx, actor, t.HostID, op); err != nil {
			return err
		}
		if saved.ID == "" {
			saved.ID = uuid.NewString()
			saved.CreatedAt, saved.UpdatedAt = now, now
			if _, err := tx.ExecContext(ctx, `INSERT INTO decline_templates (id, host_id, language, name, body, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6)`, saved.ID, saved.HostID, saved.Language, saved.Name, saved.Body, now); err != nil {
				return err
			}
			return database.RunThen(tx, then)
		}
		res, err := tx.ExecContext(ctx, `UPDATE decline_templates SET language = $1, name = $2, body = $3, updated_at = $4
			WHERE id = $5 AND host_id = $6`, saved.Language, saved.Name, saved.Body, now, saved.ID, saved.HostID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found", op)
		}
		saved.UpdatedAt = now
		return database.RunThen(tx, then)
	})
	if err != nil {
		return database.MapError(err, op)
	}
	*t = saved
	return nil
}

// DeleteDeclineTemplate removes one of a host's decline templates on
// behalf of actor; then (the audit line) commits in the same transaction.
// Errors: not found as SaveDeclineTemplate.
func (s *Store) DeleteDeclineTemplate(ctx context.Context, actor *accounts.User, hostID, id string, then ...database.Then) error {
	const op = "onboarding: delete decline template"
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := mayKeepTemplates(ctx, tx, actor, hostID, op); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM decline_templates WHERE id = $1 AND host_id = $2`, id, hostID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found", op)
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, op)
}

// QueueHosts lists every partner host, paused ones included, by name: the
// administrators' host filter.
func (s *Store) QueueHosts(ctx context.Context) ([]Host, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, slug, name, paused FROM hosts ORDER BY name`)
	if err != nil {
		return nil, database.MapError(err, "onboarding: queue hosts")
	}
	defer rows.Close()
	var out []Host
	for rows.Next() {
		var h Host
		if err := rows.Scan(&h.ID, &h.Slug, &h.Name, &h.Paused); err != nil {
			return nil, database.MapError(err, "onboarding: queue hosts")
		}
		out = append(out, h)
	}
	return out, database.MapError(rows.Err(), "onboarding: queue hosts")
}
