package provisioning

// The clean-up of a workspace on its host, when staff erase a request and
// choose to delete what provisioning made rather than keep or disable it.
// The request's provisioning job becomes its clean-up job: the same row,
// claimed, leased, retried and shown by the same engine, with its own
// steps. Each step is idempotent (what is gone already counts as deleted)
// and records its progress before going on, so that a clean-up interrupted
// anywhere (a crash, a host down) resumes without deleting anything twice.
// Only what the job itself created is deleted: an account or a group that
// existed before, or a folder another group reaches, is left alone.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"archipel/apperr"
	"archipel/database"
	"archipel/provisioning/nextcloud"
)

// JobKind says what a job does.
type JobKind string

// The kinds of job: provisioning creates a workspace, clean-up deletes it.
const (
	KindProvision JobKind = "provision"
	KindCleanup   JobKind = "cleanup"
)

// The clean-up steps, in the order they run: the service objects first (a
// Team can only be deleted while its owner's account exists), the accounts
// before their group (whose members they are found by).
const (
	StepEraseServices = "erase_services"
	StepEraseFolder   = "erase_folder"
	StepEraseAccounts = "erase_accounts"
	StepEraseGroup    = "erase_group"
)

// CleanupStepNames lists every step of a clean-up, in order.
var CleanupStepNames = []string{StepEraseServices, StepEraseFolder, StepEraseAccounts, StepEraseGroup}

func init() {
	steps[StepEraseServices] = (*run).eraseServices
	steps[StepEraseFolder] = (*run).eraseFolder
	steps[StepEraseAccounts] = (*run).eraseAccounts
	steps[StepEraseGroup] = (*run).eraseGroup
}

// Cleanup is what a clean-up job deletes, taken from its provisioning's
// state when it is enqueued (the erasure then empties that state), and how
// far it got. It is emptied when the clean-up succeeds: the Nextcloud ids
// of an erased association are not kept.
type Cleanup struct {
	GroupID  string         `json:"group_id,omitempty"`  // created by the job
	Admin    string         `json:"admin,omitempty"`     // the association's account, created by the job
	FolderID int            `json:"folder_id,omitempty"` // the group folder, created by the job
	Services ServiceObjects `json:"services,omitzero"`
	// Accounts lists the accounts to delete: the association's, and those
	// whose only group is the association's (made by its administrator for
	// its members). Listed once, before the first deletion, so that a
	// resumed step deletes the same ones.
	Accounts []string `json:"accounts,omitempty"`
	Listed   bool     `json:"listed,omitempty"`
	// Removed records each object deleted ("account:bob", "team"), saved
	// right after its deletion: a resumed step does not ask again.
	Removed map[string]bool `json:"removed,omitempty"`
}

// CleanupOf returns what a job's state says it created, as the targets of
// its clean-up.
func CleanupOf(st *State) Cleanup {
	c := Cleanup{Services: objectsOf(st)}
	if st.GroupCreated {
		c.GroupID = st.GroupID
	}
	if st.UserCreated {
		c.Admin = st.UserID
	} else {
		// Not ours: its Team (if any) is still deleted as its owner, the
		// account itself stays.
		c.Services.TeamOwner = st.UserID
	}
	if st.FolderCreated {
		c.FolderID = st.FolderID
	}
	return c
}

// EnqueueCleanup turns the provisioning job of request applicationID into
// the clean-up of its workspace, inside q (the erasure's transaction), and
// returns the job's id; the engine runs it at its next look at the queue
// (Wake). Asking again returns the same job. Errors: not found (no job),
// conflict (the provisioning is still running: wait or cancel it).
func (s *Store) EnqueueCleanup(ctx context.Context, q execer, applicationID string) (string, error) {
	const op = "provisioning: enqueue clean-up"
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM provisioning_jobs WHERE application_id = $1`, applicationID))
	if err != nil {
		return "", database.MapError(err, op)
	}
	if j.Kind == KindCleanup {
		return j.ID, nil
	}
	if j.Status == JobPending || j.Status == JobRunning || j.Status == JobRetry {
		return "", apperr.New(apperr.Conflict, "rights.err.provisioning", op)
	}
	cleanup, err := json.Marshal(CleanupOf(&j.State))
	if err != nil {
		return "", err
	}
	now := s.now()
	res, err := q.ExecContext(ctx, `UPDATE provisioning_jobs SET kind = $1, cleanup = $2, status = $3, attempts = 0, next_run_at = $4,
		error_key = '', error_detail = '', claimed_by = '', lease_until = NULL, updated_at = $4, finished_at = NULL,
		failing_since = NULL, notified_at = NULL
		WHERE id = $5 AND kind = $6 AND status NOT IN ('pending', 'running', 'retry')`,
		KindCleanup, string(cleanup), JobPending, now, j.ID, KindProvision)
	if err != nil {
		return "", database.MapError(err, op)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", apperr.New(apperr.Conflict, "rights.err.provisioning", op)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM provisioning_steps WHERE job_id = $1`, j.ID); err != nil {
		return "", database.MapError(err, op)
	}
	for i, name := range CleanupStepNames {
		if _, err := q.ExecContext(ctx, `INSERT INTO provisioning_steps (job_id, position, name, status, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			j.ID, i, name, StepStatusPending, now); err != nil {
			return "", database.MapError(err, op)
		}
	}
	return j.ID, nil
}

// EnqueueCleanup is Store.EnqueueCleanup for a transaction that commits
// later; call Wake once it has.
func (e *Engine) EnqueueCleanup(ctx context.Context, tx *sql.Tx, applicationID string) (string, error) {
	return e.Jobs.EnqueueCleanup(ctx, tx, applicationID)
}

// saveCleanup records a clean-up's progress before anything depends on it.
func (s *Store) saveCleanup(ctx context.Context, j *Job, worker string) error {
	c, err := json.Marshal(j.Cleanup)
	if err != nil {
		return err
	}
	return s.owned(ctx, `UPDATE provisioning_jobs SET cleanup = $1, updated_at = $2 WHERE id = $3 AND claimed_by = $4 AND status = 'running'`,
		string(c), s.now(), j.ID, j.claimedBy(worker))
}

// cleanupSucceeded marks a clean-up done, forgets the ids it deleted and
// marks the workspace deleted, in one transaction.
func (s *Store) cleanupSucceeded(ctx context.Context, j *Job, worker string) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE provisioning_jobs SET status = $1, cleanup = '{}', error_key = '', error_detail = '', claimed_by = '',
			lease_until = NULL, updated_at = $2, finished_at = $2 WHERE id = $3 AND claimed_by = $4 AND status = 'running'`,
			JobSucceeded, now, j.ID, j.claimedBy(worker))
		if err != nil {
			return database.MapError(err, "provisioning: clean-up done")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLostClaim
		}
		_, err = tx.ExecContext(ctx, `UPDATE workspaces SET deleted_at = $1, disabled_at = COALESCE(disabled_at, $1)
			WHERE application_id = $2 AND deleted_at IS NULL`, now, j.ApplicationID)
		return database.MapError(err, "provisioning: clean-up done")
	})
}

// removed reports whether the clean-up deleted key already.
func (r *run) removed(key string) bool { return r.j.Cleanup.Removed[key] }

// markRemoved records that key is deleted, at once.
func (r *run) markRemoved(ctx context.Context, key string) error {
	if r.j.Cleanup.Removed == nil {
		r.j.Cleanup.Removed = map[string]bool{}
	}
	r.j.Cleanup.Removed[key] = true
	return r.e.Jobs.saveCleanup(ctx, r.j, r.e.opts.Worker)
}

// eraseServices deletes the calendar, the address book, the Team, the Deck
// board and the Talk conversation.
func (r *run) eraseServices(ctx context.Context) (string, error) {
	o := r.j.Cleanup.Services
	n := 0
	for _, s := range []struct {
		key  string
		skip bool
		rm   func(context.Context) error
	}{
		{"team", o.TeamID == "", func(ctx context.Context) error { return RemoveTeam(ctx, r.c, o.TeamOwner, o.TeamID) }},
		{"calendar", o.Calendar == "", func(ctx context.Context) error { return RemoveCalendar(ctx, r.c, o.Calendar) }},
		{"address_book", o.AddressBook == "", func(ctx context.Context) error { return RemoveAddressBook(ctx, r.c, o.AddressBook) }},
		{"board", o.BoardID == 0, func(ctx context.Context) error { return RemoveBoard(ctx, r.c, o.BoardID) }},
		{"talk", o.Conversation == "", func(ctx context.Context) error { return RemoveConversation(ctx, r.c, o.Conversation) }},
	} {
		if s.skip {
			continue
		}
		n++
		if r.removed(s.key) {
			continue
		}
		if err := r.do(ctx, s.rm); err != nil {
			return "", err
		}
		if err := r.markRemoved(ctx, s.key); err != nil {
			return "", err
		}
	}
	return detail("prov.cleanup.detail.services", "Count", n), nil
}

// eraseFolder deletes the group folder, files and versions with it, unless
// another group than the association's reaches it now (somebody else's
// data): then the clean-up stops for staff to look.
func (r *run) eraseFolder(ctx context.Context) (string, error) {
	c := &r.j.Cleanup
	if c.FolderID == 0 {
		return detail("prov.cleanup.detail.no_folder"), nil
	}
	if r.removed("folder") {
		return detail("prov.cleanup.detail.folder"), nil
	}
	var f nextcloud.GroupFolder
	err := r.do(ctx, func(ctx context.Context) (err error) {
		f, err = r.c.GroupFolder(ctx, c.FolderID)
		return err
	})
	switch {
	case errors.Is(err, nextcloud.ErrNotFound):
		return detail("prov.cleanup.detail.folder"), r.markRemoved(ctx, "folder")
	case err != nil:
		return "", err
	case !onlyGroups(f, c.GroupID, AccessGroup):
		return "", permanent("prov.cleanup.foreign_folder", "provisioning: delete group folder")
	}
	if err := r.do(ctx, func(ctx context.Context) error { return r.c.DeleteGroupFolder(ctx, c.FolderID) }); err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
		return "", err
	}
	return detail("prov.cleanup.detail.folder"), r.markRemoved(ctx, "folder")
}

// eraseAccounts deletes the association's account and the accounts whose
// only group is the association's.
func (r *run) eraseAccounts(ctx context.Context) (string, error) {
	c := &r.j.Cleanup
	if !c.Listed {
		accounts, err := r.listAccounts(ctx)
		if err != nil {
			return "", err
		}
		c.Accounts, c.Listed = accounts, true
		if err := r.e.Jobs.saveCleanup(ctx, r.j, r.e.opts.Worker); err != nil {
			return "", err
		}
	}
	for _, id := range c.Accounts {
		key := "account:" + id
		if r.removed(key) {
			continue
		}
		if err := r.do(ctx, func(ctx context.Context) error { return r.c.DeleteUser(ctx, id) }); err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
			return "", err
		}
		if err := r.markRemoved(ctx, key); err != nil {
			return "", err
		}
	}
	return detail("prov.cleanup.detail.accounts", "Count", len(c.Accounts)), nil
}

// listAccounts finds the accounts to delete. The group's members count
// only when the job created the group, and each only when it belongs to no
// other group: an account somebody also uses elsewhere stays.
func (r *run) listAccounts(ctx context.Context) ([]string, error) {
	c := &r.j.Cleanup
	var out []string
	if c.Admin != "" {
		out = append(out, c.Admin)
	}
	if c.GroupID == "" {
		return out, nil
	}
	var members []string
	err := r.do(ctx, func(ctx context.Context) (err error) {
		members, err = r.c.GroupMembers(ctx, c.GroupID)
		return err
	})
	if errors.Is(err, nextcloud.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	slices.Sort(members)
	for _, m := range members {
		if containsFold(out, m) || strings.EqualFold(m, r.h.NextcloudUser) {
			continue
		}
		var u nextcloud.User
		err := r.do(ctx, func(ctx context.Context) (err error) {
			u, err = r.c.GetUser(ctx, m)
			return err
		})
		if errors.Is(err, nextcloud.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		only := len(u.Groups) > 0
		for _, g := range u.Groups {
			if !strings.EqualFold(g, c.GroupID) {
				only = false
			}
		}
		if only {
			out = append(out, m)
		}
	}
	return out, nil
}

// eraseGroup deletes the association's group.
func (r *run) eraseGroup(ctx context.Context) (string, error) {
	c := &r.j.Cleanup
	if c.GroupID == "" {
		return detail("prov.cleanup.detail.no_group"), nil
	}
	if !r.removed("group") {
		if err := r.do(ctx, func(ctx context.Context) error { return r.c.DeleteGroup(ctx, c.GroupID) }); err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
			return "", err
		}
		if err := r.markRemoved(ctx, "group"); err != nil {
			return "", err
		}
	}
	return detail("prov.cleanup.detail.group"), nil
}
