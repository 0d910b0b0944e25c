package provisioning

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"archipel/apperr"
	"archipel/database"
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
// Nextcloud (it can no longer log in; its data and shares stay) and records
// when. A workspace disabled already is a conflict; a host that cannot be
// reached is unavailable, with the reason's message key. then (the audit
// line, the timeline entry, the association's e-mail) commits in the
// transaction that records it: all of it or nothing; the account stays
// disabled on the host either way, and a new try records it.
func (e *Engine) DisableWorkspace(ctx context.Context, applicationID string, then ...func(*Workspace) database.Then) (*Workspace, error) {
	w, err := e.Jobs.Workspace(ctx, applicationID)
	if err != nil {
		return nil, err
	}
	if w.Disabled() {
		return nil, apperr.New(apperr.Conflict, "prov.error.already_disabled", "provisioning: disable workspace")
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
		return nil, apperr.Wrap(code, f.Key, "provisioning: disable workspace", err)
	}
	now := e.Jobs.now()
	err = e.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE workspaces SET disabled_at = $1 WHERE application_id = $2 AND disabled_at IS NULL`,
			now, applicationID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "prov.error.already_disabled", "provisioning: disable workspace")
		}
		for _, fn := range then {
			if err := database.RunThen(tx, []database.Then{fn(w)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, database.MapError(err, "provisioning: disable workspace")
	}
	w.DisabledAt = now
	return w, nil
}
