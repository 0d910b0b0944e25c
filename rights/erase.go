package rights

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// eraseRequest erases a request: deleted with everything hanging from it
// when nothing else points at it, anonymised otherwise (a provisioning job,
// a workspace, reserved Nextcloud ids or a case keep the row, emptied).
func eraseRequest(ctx context.Context, tx *sql.Tx, id string, now time.Time, keepPublished bool) error {
	// E-mails to the contact that name no request (none today, but the
	// outbox allows it) go too.
	if _, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE application_id IS NULL AND to_addr <> ''
		AND to_addr = (SELECT contact_email FROM applications WHERE id = $1)`, id); err != nil {
		return err
	}
	var linked bool
	err := tx.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM provisioning_jobs WHERE application_id = $1)
		OR EXISTS (SELECT 1 FROM workspaces WHERE application_id = $1)
		OR EXISTS (SELECT 1 FROM nextcloud_ids WHERE application_id = $1)
		OR EXISTS (SELECT 1 FROM cases WHERE application_id = $1)`, id).Scan(&linked)
	if err != nil {
		return err
	}
	if linked {
		return anonymise(ctx, tx, id, now, keepPublished)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET detail = '' WHERE application_id = $1`, id); err != nil {
		return err
	}
	// Tokens, timeline, notes and interviews go with it (ON DELETE CASCADE).
	_, err = tx.ExecContext(ctx, `DELETE FROM applications WHERE id = $1`, id)
	return err
}

// anonymise empties every personal field held about a request, wherever it
// is, and keeps the rows other records need (figures count cases by host,
// year and outcome). keepPublished keeps a showcase entry that is published
// with the association's consent (retention); an erasure removes it too.
func anonymise(ctx context.Context, tx *sql.Tx, id string, now time.Time, keepPublished bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET answers = '{}', association_name = '', legal_id = '',
		contact_email = '', match_reason = '', reopened_steps = '', search_text = '', version = version + 1, erased_at = $1
		WHERE id = $2`, now, id); err != nil {
		return err
	}
	stmts := []string{
		`DELETE FROM application_tokens WHERE application_id = $1`,
		`UPDATE application_events SET detail = '' WHERE application_id = $1`,
		`DELETE FROM application_notes WHERE application_id = $1`,
		`DELETE FROM interviews WHERE application_id = $1`,
		`UPDATE audit_log SET detail = '' WHERE application_id = $1`,
		`UPDATE provisioning_jobs SET state = '{}', error_detail = '' WHERE application_id = $1`,
		`UPDATE provisioning_steps SET detail = '', error_detail = ''
			WHERE job_id IN (SELECT id FROM provisioning_jobs WHERE application_id = $1)`,
		`UPDATE cases SET goals = '', close_note = '' WHERE application_id = $1`,
		// Nobody is left to accompany: an open case closes (as dropped, for
		// the figures) and sends no more check-ins.
		`UPDATE cases SET stage = 'closed', outcome = CASE WHEN outcome = '' THEN 'dropped' ELSE outcome END,
			closed_at = COALESCE(closed_at, (SELECT erased_at FROM applications WHERE id = $1)), checkins_stopped = TRUE,
			version = version + 1 WHERE application_id = $1 AND (closed_at IS NULL OR checkins_stopped = FALSE)`,
		`UPDATE checkins SET works = '', blocks = '', token_hash = NULL
			WHERE case_id IN (SELECT id FROM cases WHERE application_id = $1)`,
		`UPDATE training_sessions SET notes = '', next_steps = ''
			WHERE case_id IN (SELECT id FROM cases WHERE application_id = $1)`,
		`UPDATE usage_readings SET error = ''
			WHERE case_id IN (SELECT id FROM cases WHERE application_id = $1)`,
		// The outbox's copies of its e-mails (sent or not) and the staff's
		// digest lines that name it.
		`DELETE FROM mail_outbox WHERE application_id = $1`,
		`DELETE FROM staff_digest_items WHERE application_id = $1`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	if err := anonymisePlan(ctx, tx, id); err != nil {
		return err
	}
	cond := ``
	if keepPublished {
		cond = ` AND status <> 'published'`
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM showcase_entries
		WHERE case_id IN (SELECT id FROM cases WHERE application_id = $1)`+cond, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		// The public pages' ETags change with the revision.
		if _, err := tx.ExecContext(ctx, `UPDATE showcase_state SET revision = revision + 1, changed_at = $1 WHERE id = 1`, now); err != nil {
			return err
		}
	}
	return nil
}

// personalPlanFields are the plan's fields that name the association or its
// contact; the rest (quota, folders, services) is the host's configuration.
var personalPlanFields = []string{"association_name", "contact_name", "contact_email"}

// anonymisePlan empties the personal fields of the request's provisioning
// plan and drops its documents (welcome texts that name the association).
func anonymisePlan(ctx context.Context, tx *sql.Tx, id string) error {
	var raw string
	err := tx.QueryRowContext(ctx, `SELECT plan FROM provisioning_jobs WHERE application_id = $1`, id).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	plan := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &plan); err != nil {
		plan = map[string]any{}
	}
	for _, k := range personalPlanFields {
		if _, ok := plan[k]; ok {
			plan[k] = ""
		}
	}
	if _, ok := plan["documents"]; ok {
		plan["documents"] = []any{}
	}
	out, err := json.Marshal(plan)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE provisioning_jobs SET plan = $1 WHERE application_id = $2`, string(out), id)
	return err
}
