package provisioning

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
	"archipel/provisioning/nextcloud"
)

// Workspace is what provisioning created for a request, as recorded at its
// last step.
type Workspace struct {
	ApplicationID string
	HostID        string
	LoginURL      string
	AccountID     string
	GroupID       string
	Folder        string
	QuotaBytes    int64
	CreatedAt     time.Time
	DisabledAt    time.Time
}

// Disabled reports whether staff disabled the workspace.
func (w *Workspace) Disabled() bool { return !w.DisabledAt.IsZero() }

// Workspace returns a request's workspace; not found before provisioning
// recorded it.
func (s *Store) Workspace(ctx context.Context, applicationID string) (*Workspace, error) {
	var w Workspace
	var disabled sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT application_id, host_id, login_url, account_id, group_id, folder, quota_bytes,
		created_at, disabled_at FROM workspaces WHERE application_id = $1`, applicationID).Scan(&w.ApplicationID, &w.HostID,
		&w.LoginURL, &w.AccountID, &w.GroupID, &w.Folder, &w.QuotaBytes, &w.CreatedAt, &disabled)
	if err != nil {
		return nil, database.MapError(err, "provisioning: workspace")
	}
	w.DisabledAt = disabled.Time
	return &w, nil
}

// DisableWorkspace disables the association's account on the host's
// Nextcloud (it can no longer log in; its data and shares stay) on behalf
// of actor, and records when; then (the audit line, the timeline entry,
// the association's e-mail), given the workspace, commits with that record
// in one transaction. The call to the host comes first, outside any
// transaction: should it fail, nothing is recorded.
//
// Errors: not found for an actor who may not decide on the request
// (onboarding.MayDecide, of the workspace's host; administrators: every
// host), as if there were no workspace; conflict when it is disabled
// already; unavailable with the reason's message key for a host that
// cannot be reached.
func (e *Engine) DisableWorkspace(ctx context.Context, actor *accounts.User, applicationID string, then ...func(*Workspace) database.Then) (*Workspace, error) {
	const op = "provisioning: disable workspace"
	if !onboarding.MayDecide(actor) {
		return nil, apperr.New(apperr.NotFound, "error.not_found", op)
	}
	w, err := e.Jobs.Workspace(ctx, applicationID)
	if err != nil {
		return nil, err
	}
	if !actor.Admin() && (actor.HostID == "" || w.HostID != actor.HostID) {
		return nil, apperr.New(apperr.NotFound, "error.not_found", op)
	}
	if w.Disabled() {
		return nil, apperr.New(apperr.Conflict, "prov.error.already_disabled", op)
	}
	h, err := e.Hosts.Get(ctx, w.HostID)
	if err != nil {
		return nil, err
	}
	c, err := e.Hosts.Client(ctx, h)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
	err = c.DisableUser(cctx, w.AccountID)
	cancel()
	// An account deleted on the host meanwhile is as disabled as can be.
	if err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
		f := Classify(err)
		code := apperr.Invalid
		if f.Transient {
			code = apperr.Unavailable
		}
		return nil, apperr.Wrap(code, f.Key, op, err)
	}
	now := e.Jobs.now()
	disabled := *w
	disabled.DisabledAt = now
	err = e.db.Tx(ctx, func(tx *sql.Tx) error {
		// The scope is in the SQL too.
		res, err := tx.ExecContext(ctx, `UPDATE workspaces SET disabled_at = $1 WHERE application_id = $2 AND disabled_at IS NULL
			AND ($3 OR (host_id = $4 AND $4 <> ''))`, now, applicationID, actor.Admin(), actor.HostID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "prov.error.already_disabled", op)
		}
		for _, fn := range then {
			if err := database.RunThen(tx, []database.Then{fn(&disabled)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, database.MapError(err, op)
	}
	return &disabled, nil
}
