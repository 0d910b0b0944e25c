package provisioning

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
)

// JobStatus is where a provisioning job stands.
type JobStatus string

// The statuses of a job. Retry waits for its next attempt; NeedsAttention
// ran out of retries on a transient failure; Failed met a permanent one.
const (
	JobPending        JobStatus = "pending"
	JobRunning        JobStatus = "running"
	JobRetry          JobStatus = "retry"
	JobSucceeded      JobStatus = "succeeded"
	JobNeedsAttention JobStatus = "needs_attention"
	JobFailed         JobStatus = "failed"
	JobCancelled      JobStatus = "cancelled"
)

// Stopped reports whether the job waits for staff (retry or cancel).
func (s JobStatus) Stopped() bool {
	return s == JobNeedsAttention || s == JobFailed || s == JobCancelled
}

// Step names, in the order they run.
const (
	StepPreflight  = "preflight"
	StepGroup      = "group"
	StepAccount    = "account"
	StepMembership = "membership"
	StepSpace      = "space"
	StepTree       = "tree"
	StepDocuments  = "documents"
	StepRevoke     = "revoke"
	StepRecord     = "record"
)

// StepNames lists every step of a plan, in order.
var StepNames = []string{StepPreflight, StepGroup, StepAccount, StepMembership, StepSpace, StepTree, StepDocuments, StepRevoke, StepRecord}

// Step status values.
const (
	StepStatusPending = "pending"
	StepStatusDone    = "done"
	StepStatusFailed  = "failed"
)

// Job is the provisioning of one approved request.
type Job struct {
	ID            string
	ApplicationID string
	// Kind says whether the job creates the workspace or deletes it.
	Kind JobKind
	// Cleanup is what a clean-up job deletes and how far it got.
	Cleanup     Cleanup
	HostID      string
	Status      JobStatus
	Plan        Plan
	State       State
	Attempts    int
	NextRunAt   time.Time
	ErrorKey    string
	ErrorDetail string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time
	// FailingSince is when the current run of passing failures began (zero
	// when the last step succeeded): the retry window counts from there.
	FailingSince time.Time
	Steps        []StepState
	// claim identifies this very claim (worker name and a random part), so
	// that even the same process re-claiming its own job after a stalled
	// renewal cannot have two goroutines both pass the ownership checks.
	claim string
}

// StepState is the progress of one step, as staff see it.
type StepState struct {
	Name        string
	Status      string
	Attempts    int
	Detail      string
	ErrorKey    string
	ErrorDetail string
	UpdatedAt   time.Time
}

// State is what a job learned and created so far; it is saved after every
// change so that a retry or a restart resumes exactly there.
type State struct {
	Version      string `json:"version,omitempty"`
	GroupFolders bool   `json:"group_folders,omitempty"`
	Admin        string `json:"admin,omitempty"` // the host's provisioning account

	GroupID      string `json:"group_id,omitempty"`
	GroupTry     int    `json:"group_try,omitempty"`
	GroupCreated bool   `json:"group_created,omitempty"`

	UserID      string `json:"user_id,omitempty"`
	UserTry     int    `json:"user_try,omitempty"`
	UserCreated bool   `json:"user_created,omitempty"`
	// UserInGroup says the account was created in one request with its
	// group, so membership need not look at it.
	UserInGroup bool `json:"user_in_group,omitempty"`

	Folder        string `json:"folder,omitempty"`
	FolderTry     int    `json:"folder_try,omitempty"`
	FolderID      int    `json:"folder_id,omitempty"`
	FolderCreated bool   `json:"folder_created,omitempty"`
	ShareID       string `json:"share_id,omitempty"`

	// Asked lists the creations this job requested ("group:asso"), recorded
	// before the request: a resumed job adopts only what it asked for.
	Asked map[string]bool `json:"asked,omitempty"`
	// Documents maps a welcome document to the ETag it had when uploaded.
	Documents map[string]string `json:"documents,omitempty"`
	Mailed    bool              `json:"mailed,omitempty"`
	// Services is what the service steps made (steps_services.go).
	Services ServicesState `json:"services,omitzero"`
}

// errLostClaim means another worker owns the job now (our lease expired, or
// staff cancelled it): stop without writing anything more.
var errLostClaim = errors.New("provisioning: job no longer claimed by this worker")

// Store keeps jobs, their steps, reserved ids and workspaces.
type Store struct {
	db  *database.DB
	now func() time.Time
}

// NewStore returns a job store; now may be nil.
func NewStore(db *database.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: func() time.Time { return now().UTC() }}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Enqueue creates the job of a plan inside q (a transaction), unless the
// request has one already; it returns the job's id either way.
func (s *Store) Enqueue(ctx context.Context, q execer, p Plan) (string, bool, error) {
	plan, err := json.Marshal(p)
	if err != nil {
		return "", false, err
	}
	now := s.now()
	id := uuid.NewString()
	res, err := q.ExecContext(ctx, `INSERT INTO provisioning_jobs (id, application_id, host_id, status, plan, next_run_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT (application_id) DO NOTHING`,
		id, p.ApplicationID, p.HostID, JobPending, string(plan), now)
	if err != nil {
		return "", false, database.MapError(err, "provisioning: enqueue")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		err := q.QueryRowContext(ctx, `SELECT id FROM provisioning_jobs WHERE application_id = $1`, p.ApplicationID).Scan(&id)
		return id, false, database.MapError(err, "provisioning: enqueue")
	}
	for i, name := range StepNames {
		if _, err := q.ExecContext(ctx, `INSERT INTO provisioning_steps (job_id, position, name, status, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			id, i, name, StepStatusPending, now); err != nil {
			return "", false, database.MapError(err, "provisioning: enqueue steps")
		}
	}
	return id, true, nil
}

const jobColumns = `id, application_id, host_id, status, plan, state, attempts, next_run_at, error_key, error_detail,
	created_at, updated_at, finished_at, failing_since, kind, cleanup`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var plan, state, cleanup string
	var finished, failing sql.NullTime
	if err := row.Scan(&j.ID, &j.ApplicationID, &j.HostID, &j.Status, &plan, &state, &j.Attempts, &j.NextRunAt,
		&j.ErrorKey, &j.ErrorDetail, &j.CreatedAt, &j.UpdatedAt, &finished, &failing, &j.Kind, &cleanup); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cleanup), &j.Cleanup); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(plan), &j.Plan); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(state), &j.State); err != nil {
		return nil, err
	}
	j.FinishedAt, j.FailingSince = finished.Time, failing.Time
	return &j, nil
}

// Get returns a job with its steps.
func (s *Store) Get(ctx context.Context, id string) (*Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM provisioning_jobs WHERE id = $1`, id))
	if err != nil {
		return nil, database.MapError(err, "provisioning: get job")
	}
	return j, s.loadSteps(ctx, j)
}

// ByApplication returns the job of a request.
func (s *Store) ByApplication(ctx context.Context, applicationID string) (*Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM provisioning_jobs WHERE application_id = $1`, applicationID))
	if err != nil {
		return nil, database.MapError(err, "provisioning: job of request")
	}
	return j, s.loadSteps(ctx, j)
}

func (s *Store) loadSteps(ctx context.Context, j *Job) error {
	rows, err := s.db.QueryContext(ctx, `SELECT name, status, attempts, detail, error_key, error_detail, updated_at
		FROM provisioning_steps WHERE job_id = $1 ORDER BY position`, j.ID)
	if err != nil {
		return database.MapError(err, "provisioning: steps")
	}
	defer rows.Close()
	j.Steps = j.Steps[:0]
	for rows.Next() {
		var st StepState
		if err := rows.Scan(&st.Name, &st.Status, &st.Attempts, &st.Detail, &st.ErrorKey, &st.ErrorDetail, &st.UpdatedAt); err != nil {
			return database.MapError(err, "provisioning: steps")
		}
		j.Steps = append(j.Steps, st)
	}
	return database.MapError(rows.Err(), "provisioning: steps")
}

// claim takes the next due job whose host has room (its jobs at once, or
// perHost when the host set none; counted over every replica), for worker,
// until lease ends. A job whose lease expired (its worker died) is due again.
func (s *Store) claim(ctx context.Context, worker string, lease time.Duration, perHost int, skip []string) (*Job, error) {
	now := s.now()
	claimID := worker + "/" + uuid.NewString()[:8]
	args := []any{claimID, now.Add(lease), now, perHost}
	notIn := ""
	if len(skip) > 0 {
		notIn = ` AND j.host_id NOT IN (` + database.Placeholders(5, len(skip)) + `)`
		for _, h := range skip {
			args = append(args, h)
		}
	}
	const due = `((status IN ('pending', 'retry') AND next_run_at <= $3) OR (status = 'running' AND lease_until < $3))`
	// A retry that starts clears the job's previous error: the request page
	// then says "in progress", not an error beside it.
	row := s.db.QueryRowContext(ctx, `UPDATE provisioning_jobs SET status = 'running', claimed_by = $1, lease_until = $2, updated_at = $3,
		error_key = '', error_detail = ''
		WHERE id = (
			SELECT j.id FROM provisioning_jobs j
			WHERE ((j.status IN ('pending', 'retry') AND j.next_run_at <= $3) OR (j.status = 'running' AND j.lease_until < $3))`+notIn+`
			AND (SELECT COUNT(*) FROM provisioning_jobs r WHERE r.host_id = j.host_id AND r.status = 'running' AND r.lease_until >= $3)
				< (SELECT CASE WHEN h.jobs_at_once > 0 THEN h.jobs_at_once ELSE $4 END FROM hosts h WHERE h.id = j.host_id)
			ORDER BY j.next_run_at LIMIT 1)
		AND `+due+`
		RETURNING `+jobColumns, args...)
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, database.MapError(err, "provisioning: claim")
	}
	j.claim = claimID
	return j, s.loadSteps(ctx, j)
}

// claimedBy is the value of claimed_by while this job's claim holds.
func (j *Job) claimedBy(worker string) string {
	if j.claim != "" {
		return j.claim
	}
	return worker
}

// owned runs an update that must only touch a job this worker still owns.
func (s *Store) owned(ctx context.Context, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return database.MapError(err, "provisioning: update job")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLostClaim
	}
	return nil
}

// extend renews a worker's lease on a running job.
func (s *Store) extend(ctx context.Context, j *Job, worker string, lease time.Duration) error {
	now := s.now()
	return s.owned(ctx, `UPDATE provisioning_jobs SET lease_until = $1 WHERE id = $2 AND claimed_by = $3 AND status = 'running'`,
		now.Add(lease), j.ID, j.claimedBy(worker))
}

// saveState records what the job learned or created, before anything
// depends on it.
func (s *Store) saveState(ctx context.Context, j *Job, worker string) error {
	state, err := json.Marshal(j.State)
	if err != nil {
		return err
	}
	return s.owned(ctx, `UPDATE provisioning_jobs SET state = $1, updated_at = $2 WHERE id = $3 AND claimed_by = $4 AND status = 'running'`,
		string(state), s.now(), j.ID, j.claimedBy(worker))
}

// stepDone marks a step done and resets the job's error.
func (s *Store) stepDone(ctx context.Context, j *Job, worker, name, detail string) error {
	if err := s.saveState(ctx, j, worker); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `UPDATE provisioning_steps SET status = $1, detail = $2, error_key = '', error_detail = '', updated_at = $3
		WHERE job_id = $4 AND name = $5`, StepStatusDone, detail, s.now(), j.ID, name)
	if err != nil {
		return database.MapError(err, "provisioning: step done")
	}
	if !j.FailingSince.IsZero() {
		// The run of failures is over: a later one gets a whole window.
		j.FailingSince = time.Time{}
		_, err = s.db.ExecContext(ctx, `UPDATE provisioning_jobs SET failing_since = NULL WHERE id = $1`, j.ID)
	}
	return database.MapError(err, "provisioning: step done")
}

// stepFailed records a step's failure and what becomes of the job: retried
// at next, or stopped with status.
func (s *Store) stepFailed(ctx context.Context, j *Job, worker, name string, status JobStatus, now, next time.Time, key, detail string) error {
	if err := s.saveState(ctx, j, worker); err != nil {
		return err
	}
	now = now.UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE provisioning_steps SET status = $1, attempts = attempts + 1, error_key = $2, error_detail = $3, updated_at = $4
			WHERE job_id = $5 AND name = $6`, StepStatusFailed, key, detail, now, j.ID, name); err != nil {
			return err
		}
		var finished, failing any
		if status.Stopped() {
			finished = now
		}
		if status == JobRetry || status == JobNeedsAttention {
			failing = now // kept when a run of failures began earlier
		}
		res, err := tx.ExecContext(ctx, `UPDATE provisioning_jobs SET status = $1, attempts = attempts + 1, next_run_at = $2, error_key = $3,
			error_detail = $4, claimed_by = '', lease_until = NULL, updated_at = $5, finished_at = $6,
			failing_since = COALESCE(failing_since, $9)
			WHERE id = $7 AND claimed_by = $8 AND status = 'running'`, status, next, key, detail, now, finished, j.ID, j.claimedBy(worker), failing)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLostClaim
		}
		return nil
	})
}

// succeed marks the job done.
func (s *Store) succeed(ctx context.Context, j *Job, worker string) error {
	now := s.now()
	return s.owned(ctx, `UPDATE provisioning_jobs SET status = $1, error_key = '', error_detail = '', claimed_by = '', lease_until = NULL,
		updated_at = $2, finished_at = $2 WHERE id = $3 AND claimed_by = $4 AND status = 'running'`, JobSucceeded, now, j.ID, j.claimedBy(worker))
}

// jobInScope checks, in the workflow's transaction, that actor may act on
// the job: staff who may decide (onboarding.MayDecide) of the job's host,
// or an administrator. Anyone else gets not found, as if the job did not
// exist: the scope is in the SQL.
func jobInScope(ctx context.Context, tx *sql.Tx, actor *accounts.User, jobID, op string) error {
	if !onboarding.MayDecide(actor) {
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM provisioning_jobs WHERE id = $1 AND ($2 OR (host_id = $3 AND $3 <> ''))`,
		jobID, actor.Admin(), actor.HostID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	return err
}

// Retry puts a stopped job back in the queue on behalf of actor, its
// failed step's attempts reset; it resumes where it stopped. then (the
// audit line) commits in the same transaction: all of it or nothing.
//
// Errors: not found for an actor who may not decide on the job's request
// (jobInScope); conflict (prov.error.not_stopped) for a job that is not
// stopped.
func (s *Store) Retry(ctx context.Context, actor *accounts.User, jobID string, then ...database.Then) error {
	const op = "provisioning: retry"
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := jobInScope(ctx, tx, actor, jobID, op); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE provisioning_jobs SET status = $1, attempts = 0, next_run_at = $2, updated_at = $2, finished_at = NULL,
			failing_since = NULL, notified_at = NULL, error_key = '', error_detail = ''
			WHERE id = $3 AND status IN ('needs_attention', 'failed', 'cancelled', 'retry')`, JobPending, now, jobID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "prov.error.not_stopped", op)
		}
		if _, err = tx.ExecContext(ctx, `UPDATE provisioning_steps SET attempts = 0 WHERE job_id = $1 AND status <> 'done'`, jobID); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, op)
}

// Cancel stops a job that has not succeeded, on behalf of actor; a running
// worker notices at its next step. What was already created stays, and a
// retry resumes. then (the audit line) commits in the same transaction.
//
// Errors: not found as Retry; conflict (prov.error.not_cancellable) for a
// job that succeeded or is cancelled already.
func (s *Store) Cancel(ctx context.Context, actor *accounts.User, jobID string, then ...database.Then) error {
	const op = "provisioning: cancel"
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := jobInScope(ctx, tx, actor, jobID, op); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE provisioning_jobs SET status = $1, claimed_by = '', lease_until = NULL, updated_at = $2, finished_at = $2
		WHERE id = $3 AND status NOT IN ('succeeded', 'cancelled')`, JobCancelled, now, jobID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "prov.error.not_cancellable", op)
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, op)
}

// reserve records that id (of kind "group", "user" or "folder") on a host
// belongs to a request. It reports false when another request holds it.
func (s *Store) reserve(ctx context.Context, hostID, kind, id, applicationID string) (bool, error) {
	key := normalizeID(id)
	_, err := s.db.ExecContext(ctx, `INSERT INTO nextcloud_ids (host_id, kind, nc_id, application_id, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (host_id, kind, nc_id) DO NOTHING`, hostID, kind, key, applicationID, s.now())
	if err != nil {
		return false, database.MapError(err, "provisioning: reserve id")
	}
	var owner string
	if err := s.db.QueryRowContext(ctx, `SELECT application_id FROM nextcloud_ids WHERE host_id = $1 AND kind = $2 AND nc_id = $3`,
		hostID, kind, key).Scan(&owner); err != nil {
		return false, database.MapError(err, "provisioning: reserve id")
	}
	return owner == applicationID, nil
}

// ownerOf returns the request an id on a host was reserved for, or "".
func (s *Store) ownerOf(ctx context.Context, hostID, kind, id string) (string, error) {
	var owner string
	err := s.db.QueryRowContext(ctx, `SELECT application_id FROM nextcloud_ids WHERE host_id = $1 AND kind = $2 AND nc_id = $3`,
		hostID, kind, normalizeID(id)).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, database.MapError(err, "provisioning: id owner")
}

// release hands a job this worker still holds back to the queue, due now:
// a graceful shutdown leaves nothing for another replica (or the next
// start) to wait out a lease for.
func (s *Store) release(ctx context.Context, j *Job, worker string) error {
	now := s.now()
	return s.owned(ctx, `UPDATE provisioning_jobs SET status = $1, claimed_by = '', lease_until = NULL, next_run_at = $2, updated_at = $2
		WHERE id = $3 AND claimed_by = $4 AND status = 'running'`, JobRetry, now, j.ID, j.claimedBy(worker))
}
