// Package training is the accompaniment of associations once their
// workspace is ready: cases, training sessions, scheduled check-ins, usage
// signals read from the host's Nextcloud, and the public showcase of the
// cases that succeeded.
package training

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// Stage is where an association stands on its way to autonomy.
type Stage string

// The stages of a case, in order; a case moves between them by a form.
const (
	StageWelcome        Stage = "welcome"
	StageGettingStarted Stage = "getting_started"
	StageTraining       Stage = "training"
	StageAutonomous     Stage = "autonomous"
	StageClosed         Stage = "closed"
)

// Stages lists the stages in board order.
var Stages = []Stage{StageWelcome, StageGettingStarted, StageTraining, StageAutonomous, StageClosed}

// ParseStage checks a stage name.
func ParseStage(s string) (Stage, bool) {
	for _, st := range Stages {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// Outcome is how a closed case ended.
type Outcome string

// The outcomes of a closed case.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeDropped Outcome = "dropped"
)

// Case is the accompaniment of one association by its host.
type Case struct {
	ID              string
	ApplicationID   string
	HostID          string
	HostName        string
	Association     string // the association's name
	Town            string
	Departement     string
	Language        string
	ContactEmail    string
	ContactName     string
	ContactPhone    string
	Services        []string
	Stage           Stage
	Goals           string
	Outcome         Outcome
	CloseNote       string
	CheckinsStopped bool
	TrainerIDs      []string
	Version         int
	OpenedAt        time.Time
	UpdatedAt       time.Time
	ClosedAt        time.Time
}

// DefaultCheckinOffsets are the days after opening when a check-in goes out,
// unless the host set others.
var DefaultCheckinOffsets = []int{7, 30, 90}

// ParseOffsets reads a host's "7,30,90".
func ParseOffsets(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n > 0 && n <= 3650 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return DefaultCheckinOffsets
	}
	return out
}

// Store keeps cases and everything attached to them.
type Store struct {
	db  *database.DB
	now func() time.Time
	// demo allows Advance; waker makes this process's dispatcher tick now.
	demo  atomic.Bool
	waker atomic.Value
}

// NewStore returns a Store; now may be nil (time.Now), tests pass a clock.
func NewStore(db *database.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: func() time.Time { return now().UTC() }}
}

// Now is the store's clock, in UTC.
func (s *Store) Now() time.Time { return s.now() }

// caseSelect reads a case with what it needs of its request.
const caseSelect = `SELECT c.id, c.application_id, c.host_id, h.name, a.association_name, a.departement, a.language, a.contact_email, a.answers,
	c.stage, c.goals, c.outcome, c.close_note, c.checkins_stopped, c.version, c.opened_at, c.updated_at, c.closed_at
	FROM cases c JOIN applications a ON a.id = c.application_id JOIN hosts h ON h.id = c.host_id`

func (s *Store) scanCase(row interface{ Scan(...any) error }) (*Case, error) {
	var c Case
	var answers string
	var closed sql.NullTime
	if err := row.Scan(&c.ID, &c.ApplicationID, &c.HostID, &c.HostName, &c.Association, &c.Departement, &c.Language, &c.ContactEmail, &answers,
		&c.Stage, &c.Goals, &c.Outcome, &c.CloseNote, &c.CheckinsStopped, &c.Version, &c.OpenedAt, &c.UpdatedAt, &closed); err != nil {
		return nil, err
	}
	c.ClosedAt = closed.Time
	fillFromAnswers(&c, answers)
	return &c, nil
}

// Get returns a case with its trainers.
func (s *Store) Get(ctx context.Context, id string) (*Case, error) {
	c, err := s.scanCase(s.db.QueryRowContext(ctx, caseSelect+` WHERE c.id = $1`, id))
	if err != nil {
		return nil, database.MapError(err, "training: get case")
	}
	return c, s.loadTrainers(ctx, c)
}

// HostScope is the host whose cases an actor works on: theirs, or for an
// administrator the one asked for (every host when none).
func HostScope(actor *accounts.User, asked string) string {
	if actor.Admin() {
		return asked
	}
	return actor.HostID
}

// hostOf is the host whose cases actor reads on a page (a list, the board,
// the report, the dashboard): theirs whatever they asked, or for an
// administrator the one asked for ("" for every host). Not found for
// nobody and for an account of no host, so that "" reaches the SQL (as
// every host) only for an administrator.
func hostOf(actor *accounts.User, asked, op string) (string, error) {
	switch {
	case actor == nil:
		return "", apperr.New(apperr.NotFound, "error.not_found", op)
	case actor.Admin():
		return asked, nil
	case actor.HostID == "":
		return "", apperr.New(apperr.NotFound, "error.not_found", op)
	}
	return actor.HostID, nil
}

// ForStaff returns a case as a staff member may see it: a case of a host
// the actor does not belong to is not found, whether it exists or not
// (administrators see every host's). The scope is in the query, so that a
// page forgetting a check still shows nothing of another host.
func (s *Store) ForStaff(ctx context.Context, actor *accounts.User, id string) (*Case, error) {
	if actor == nil {
		return nil, apperr.New(apperr.NotFound, "error.not_found", "training: case for staff")
	}
	c, err := s.scanCase(s.db.QueryRowContext(ctx, caseSelect+` WHERE c.id = $1 AND ($2 OR (c.host_id = $3 AND $3 <> ''))`,
		id, actor.Admin(), actor.HostID))
	if err != nil {
		return nil, database.MapError(err, "training: case for staff")
	}
	return c, s.loadTrainers(ctx, c)
}

// ByApplication returns the case of a request.
func (s *Store) ByApplication(ctx context.Context, applicationID string) (*Case, error) {
	c, err := s.scanCase(s.db.QueryRowContext(ctx, caseSelect+` WHERE c.application_id = $1`, applicationID))
	if err != nil {
		return nil, database.MapError(err, "training: case of request")
	}
	return c, s.loadTrainers(ctx, c)
}

func (s *Store) loadTrainers(ctx context.Context, c *Case) error {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id FROM case_trainers WHERE case_id = $1 ORDER BY user_id`, c.ID)
	if err != nil {
		return database.MapError(err, "training: trainers")
	}
	defer rows.Close()
	c.TrainerIDs = nil
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return database.MapError(err, "training: trainers")
		}
		c.TrainerIDs = append(c.TrainerIDs, id)
	}
	return database.MapError(rows.Err(), "training: trainers")
}

// List returns the cases actor may see, open ones first, newest first:
// their host's, or for an administrator the host asked for (every host's
// when asked is empty). Not found for nobody or an account of no host.
func (s *Store) List(ctx context.Context, actor *accounts.User, asked string) ([]Case, error) {
	hostID, err := hostOf(actor, asked, "training: list cases")
	if err != nil {
		return nil, err
	}
	return s.list(ctx, hostID)
}

// list returns a host's cases (every host's when hostID is empty).
func (s *Store) list(ctx context.Context, hostID string) ([]Case, error) {
	rows, err := s.db.QueryContext(ctx, caseSelect+` WHERE ($1 = '' OR c.host_id = $1) ORDER BY c.closed_at IS NOT NULL, c.opened_at DESC`, hostID)
	if err != nil {
		return nil, database.MapError(err, "training: list cases")
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := s.scanCase(rows)
		if err != nil {
			return nil, database.MapError(err, "training: list cases")
		}
		out = append(out, *c)
	}
	return out, database.MapError(rows.Err(), "training: list cases")
}

// OpenCases opens a case, with its check-ins scheduled at the host's
// offsets, for every ready workspace that has none yet; it returns how many
// it opened. It is idempotent, so every replica may run it.
func (s *Store) OpenCases(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT w.application_id, w.host_id, w.created_at, h.checkin_offsets
		FROM workspaces w JOIN hosts h ON h.id = w.host_id
		LEFT JOIN cases c ON c.application_id = w.application_id
		WHERE c.id IS NULL AND w.disabled_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = w.application_id AND a.erased_at IS NOT NULL)`)
	if err != nil {
		return 0, database.MapError(err, "training: open cases")
	}
	type ready struct {
		app, host, offsets string
		at                 time.Time
	}
	var todo []ready
	for rows.Next() {
		var r ready
		if err := rows.Scan(&r.app, &r.host, &r.at, &r.offsets); err != nil {
			rows.Close()
			return 0, database.MapError(err, "training: open cases")
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, database.MapError(err, "training: open cases")
	}
	opened := 0
	for _, r := range todo {
		ok, err := s.openCase(ctx, r.app, r.host, r.at, ParseOffsets(r.offsets))
		if err != nil {
			return opened, err
		}
		if ok {
			opened++
		}
	}
	return opened, nil
}

func (s *Store) openCase(ctx context.Context, applicationID, hostID string, readyAt time.Time, offsets []int) (bool, error) {
	now := s.now()
	id := uuid.NewString()
	goals, err := s.interviewGoals(ctx, applicationID)
	if err != nil {
		return false, err
	}
	created := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO cases (id, application_id, host_id, stage, goals, opened_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (application_id) DO NOTHING`, id, applicationID, hostID, StageWelcome, goals, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		created = true
		for _, d := range offsets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO checkins (id, case_id, offset_days, due_at, status) VALUES ($1, $2, $3, $4, $5)`,
				uuid.NewString(), id, d, readyAt.UTC().Add(time.Duration(d)*24*time.Hour), CheckinScheduled); err != nil {
				return err
			}
		}
		return nil
	})
	return created, database.MapError(err, "training: open case")
}

// interviewGoals takes the case's goals from the interview's "needs and
// priorities" notes, when there are some.
func (s *Store) interviewGoals(ctx context.Context, applicationID string) (string, error) {
	var notes string
	err := s.db.QueryRowContext(ctx, `SELECT notes FROM interviews WHERE application_id = $1 ORDER BY updated_at DESC LIMIT 1`, applicationID).Scan(&notes)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", database.MapError(err, "training: interview goals")
	}
	return goalsFromNotes(notes), nil
}

// MayAssign reports whether actor may choose a case's trainers: the
// administrators and the staff of its host. Trainers follow the cases
// they are given; they do not hand them out.
func (c *Case) MayAssign(actor *accounts.User) bool {
	return actor != nil && (actor.Admin() || (actor.Role == accounts.RoleStaff && actor.HostID == c.HostID))
}

// MayClose reports whether actor may close a case: those who may assign
// its trainers, and the trainers assigned to it.
func (c *Case) MayClose(actor *accounts.User) bool {
	return c.MayAssign(actor) || (actor != nil && actor.Role == accounts.RoleTrainer && actor.HostID == c.HostID && slices.Contains(c.TrainerIDs, actor.ID))
}

// MayRecord reports whether actor may record and edit a case's sessions:
// the administrators, and the staff and trainers of its host.
func (c *Case) MayRecord(actor *accounts.User) bool {
	return actor != nil && (actor.Admin() || (c.HostID != "" && actor.HostID == c.HostID &&
		(actor.Role == accounts.RoleStaff || actor.Role == accounts.RoleTrainer)))
}

// refuse is the error for an actor who may not do op on c (may false):
// not found for an account of another host or none, as if the case did
// not exist, forbidden (key) for one of its host whose role does not allow
// it; nil when may is true.
func (c *Case) refuse(actor *accounts.User, may bool, key, op string) error {
	switch {
	case may:
		return nil
	case actor == nil || (!actor.Admin() && (actor.HostID == "" || actor.HostID != c.HostID)):
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	return apperr.New(apperr.Forbidden, key, op)
}

// inScope checks, in the workflow's transaction, that the case is still
// one of actor's host (every host's for an administrator): the scope is in
// the SQL, not only in the case the caller read. Not found otherwise.
func inScope(ctx context.Context, tx *sql.Tx, actor *accounts.User, caseID, op string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM cases WHERE id = $1 AND ($2 OR (host_id = $3 AND $3 <> ''))`,
		caseID, actor.Admin(), actor.HostID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	return err
}

// MoveStage moves an open case to another stage; closing goes through Close.
//
// then (the audit line) commits in the same transaction: all of it or
// nothing.
func (s *Store) MoveStage(ctx context.Context, c *Case, to Stage, then ...database.Then) error {
	if to == StageClosed || c.Stage == StageClosed {
		return apperr.New(apperr.Conflict, "err.case.closed", "training: move stage")
	}
	before := *c
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.updateIn(ctx, tx, c, `stage = $1`, to); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		*c = before // nothing was kept
		return database.MapError(err, "training: move stage")
	}
	return nil
}

// Close ends a case as a success or as dropped, with a note, on behalf of
// actor; its pending check-ins stop in the same transaction (the page is
// right at once, no dispatcher tick needed), and then (the audit line)
// commits with it: all of it or nothing.
//
// Errors: not found for an actor of another host; forbidden
// (err.case.not_assigned) for one of its host who may not close it
// (MayClose); invalid for an unknown outcome or a note too long; conflict
// when the case is closed or changed meanwhile.
func (s *Store) Close(ctx context.Context, actor *accounts.User, c *Case, outcome Outcome, note string, then ...database.Then) error {
	if err := c.refuse(actor, c.MayClose(actor), "err.case.not_assigned", "training: close"); err != nil {
		return err
	}
	if outcome != OutcomeSuccess && outcome != OutcomeDropped {
		return apperr.New(apperr.Invalid, "err.case.outcome", "training: close")
	}
	if utf8.RuneCountInString(note) > 4000 {
		return apperr.New(apperr.Invalid, "err.too_long", "training: close")
	}
	if c.Stage == StageClosed {
		return apperr.New(apperr.Conflict, "err.case.closed", "training: close")
	}
	now := s.now()
	note = strings.TrimSpace(note)
	before := *c
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := inScope(ctx, tx, actor, c.ID, "training: close"); err != nil {
			return err
		}
		if err := s.updateIn(ctx, tx, c, `stage = $1, outcome = $2, close_note = $3, closed_at = $4, checkins_stopped = TRUE`,
			StageClosed, outcome, note, now); err != nil {
			return err
		}
		if err := stopPending(ctx, tx, c.ID); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		*c = before // nothing was kept
		return database.MapError(err, "training: close")
	}
	c.Outcome, c.CloseNote, c.ClosedAt, c.CheckinsStopped = outcome, note, now, true
	return nil
}

// updateIn changes a case in q (a transaction or the database) if nobody
// changed it meanwhile (its version).
func (s *Store) updateIn(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, c *Case, set string, args ...any) error {
	n := len(args)
	stmt := `UPDATE cases SET ` + set + `, version = version + 1, updated_at = $` + strconv.Itoa(n+1) +
		` WHERE id = $` + strconv.Itoa(n+2) + ` AND version = $` + strconv.Itoa(n+3)
	now := s.now()
	res, err := q.ExecContext(ctx, stmt, append(args, now, c.ID, c.Version)...)
	if err != nil {
		return database.MapError(err, "training: update case")
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return apperr.New(apperr.Conflict, "err.case.changed", "training: update case")
	}
	c.Version++
	c.UpdatedAt = now
	if len(args) > 0 {
		if st, ok := args[0].(Stage); ok {
			c.Stage = st
		}
	}
	return nil
}
