package training

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
)

// Format is how a training session takes place.
type Format string

// The formats of a session.
const (
	FormatRemote Format = "remote"
	FormatOnSite Format = "on_site"
)

// Formats lists the formats in the order the form offers them.
var Formats = []string{string(FormatRemote), string(FormatOnSite)}

// Limits of a session, as the form explains them.
const (
	MinSessionMinutes = 5
	MaxSessionMinutes = 12 * 60
	MaxAttendees      = 500
	maxNotes          = 4000
	maxNextSteps      = 2000
	// Sessions may be recorded after the fact or planned ahead, within reason.
	sessionPast   = 2 * 365 * day
	sessionFuture = 2 * 365 * day
)

// Session is one training session of a case.
type Session struct {
	ID        string
	CaseID    string
	TrainerID string
	StartsAt  time.Time
	Minutes   int
	Format    Format
	Topics    []string // topic keys of the host's catalogue
	Attendees int
	Notes     string
	NextSteps string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Filled by the queries that list sessions across cases.
	Association string
	HostID      string
}

// EndsAt is when the session ends.
func (s Session) EndsAt() time.Time { return s.StartsAt.Add(time.Duration(s.Minutes) * time.Minute) }

// SessionForm is a session as typed in the form: date and time in
// Europe/Paris, duration in minutes.
type SessionForm struct {
	Date      string   `form:"session_date"`
	Time      string   `form:"session_time"`
	Minutes   string   `form:"session_duration"`
	Format    string   `form:"session_format"`
	Topics    []string `form:"session_topics"`
	Attendees string   `form:"session_attendees"`
	Trainer   string   `form:"session_trainer"`
	Notes     string   `form:"session_notes"`
	NextSteps string   `form:"session_next_steps"`
}

// FormOf fills the form from a stored session, for editing.
func FormOf(s *Session) SessionForm {
	local := s.StartsAt.In(Paris)
	f := SessionForm{Date: local.Format("2006-01-02"), Time: local.Format("15:04"), Minutes: strconv.Itoa(s.Minutes),
		Format: string(s.Format), Topics: s.Topics, Trainer: s.TrainerID, Notes: s.Notes, NextSteps: s.NextSteps}
	if s.Attendees > 0 {
		f.Attendees = strconv.Itoa(s.Attendees)
	}
	return f
}

// Validate checks the form against the host's topics and trainers and
// returns the session it describes; now bounds how far in the past or
// future a session may be.
func (f *SessionForm) Validate(now time.Time, topics []Topic, trainers []Trainer) (Session, onboarding.FieldErrors) {
	var fe onboarding.FieldErrors
	add := func(field, key string) { fe = append(fe, onboarding.FieldError{Field: field, Key: key}) }
	f.Date, f.Time, f.Minutes, f.Attendees = strings.TrimSpace(f.Date), strings.TrimSpace(f.Time), strings.TrimSpace(f.Minutes), strings.TrimSpace(f.Attendees)
	f.Notes, f.NextSteps = strings.TrimSpace(f.Notes), strings.TrimSpace(f.NextSteps)
	var s Session

	// A native date field sends 2026-03-14; typed by hand where the
	// browser has none, 14/03/2026 is read too.
	date, dateErr := time.ParseInLocation("2006-01-02", f.Date, Paris)
	if dateErr != nil {
		if d, err := time.ParseInLocation("02/01/2006", f.Date, Paris); err == nil {
			date, dateErr = d, nil
		}
	}
	switch {
	case f.Date == "":
		add("session_date", "err.session.date_required")
	case dateErr != nil:
		add("session_date", "err.session.date_invalid")
	}
	clock, timeErr := time.Parse("15:04", f.Time)
	switch {
	case f.Time == "":
		add("session_time", "err.session.time_required")
	case timeErr != nil:
		add("session_time", "err.session.time_invalid")
	}
	if dateErr == nil && timeErr == nil && f.Date != "" && f.Time != "" {
		local := time.Date(date.Year(), date.Month(), date.Day(), clock.Hour(), clock.Minute(), 0, 0, Paris)
		switch {
		case local.Hour() != clock.Hour() || local.Minute() != clock.Minute():
			// The hour skipped when clocks go forward does not exist.
			add("session_time", "err.session.time_invalid")
		case local.Before(now.Add(-sessionPast)) || local.After(now.Add(sessionFuture)):
			add("session_date", "err.session.date_range")
		default:
			s.StartsAt = local.UTC()
		}
	}

	if n, err := strconv.Atoi(f.Minutes); f.Minutes == "" {
		add("session_duration", "err.session.duration_required")
	} else if err != nil {
		add("session_duration", "err.number")
	} else if n < MinSessionMinutes || n > MaxSessionMinutes {
		add("session_duration", "err.session.duration_range")
	} else {
		s.Minutes = n
	}

	if !slices.Contains(Formats, f.Format) {
		add("session_format", "err.choice")
	} else {
		s.Format = Format(f.Format)
	}

	var keys []string
	for _, k := range f.Topics {
		if k == "" || slices.Contains(keys, k) {
			continue
		}
		if !slices.ContainsFunc(topics, func(t Topic) bool { return t.Key == k }) {
			add("session_topics", "err.choice")
			keys = nil
			break
		}
		keys = append(keys, k)
	}
	s.Topics = keys

	if f.Attendees != "" {
		if n, err := strconv.Atoi(f.Attendees); err != nil {
			add("session_attendees", "err.number")
		} else if n < 0 || n > MaxAttendees {
			add("session_attendees", "err.session.attendees_range")
		} else {
			s.Attendees = n
		}
	}

	if f.Trainer != "" && !slices.ContainsFunc(trainers, func(t Trainer) bool { return t.ID == f.Trainer }) {
		add("session_trainer", "err.choice")
	} else {
		s.TrainerID = f.Trainer
	}

	if utf8.RuneCountInString(f.Notes) > maxNotes {
		add("session_notes", "err.too_long")
	}
	if utf8.RuneCountInString(f.NextSteps) > maxNextSteps {
		add("session_next_steps", "err.too_long")
	}
	s.Notes, s.NextSteps = f.Notes, f.NextSteps
	return s, fe
}

const sessionColumns = `s.id, s.case_id, s.trainer_id, s.starts_at, s.duration_minutes, s.format, s.topics, s.attendees, s.notes, s.next_steps,
	s.created_at, s.updated_at, a.association_name, c.host_id`

const sessionFrom = ` FROM training_sessions s JOIN cases c ON c.id = s.case_id JOIN applications a ON a.id = c.application_id`

func scanSession(row interface{ Scan(...any) error }) (*Session, error) {
	var s Session
	var topics string
	if err := row.Scan(&s.ID, &s.CaseID, &s.TrainerID, &s.StartsAt, &s.Minutes, &s.Format, &topics, &s.Attendees, &s.Notes, &s.NextSteps,
		&s.CreatedAt, &s.UpdatedAt, &s.Association, &s.HostID); err != nil {
		return nil, err
	}
	s.Topics = splitList(topics)
	return &s, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Store) sessions(ctx context.Context, where string, args ...any) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sessionColumns+sessionFrom+` WHERE `+where+` ORDER BY s.starts_at`, args...)
	if err != nil {
		return nil, database.MapError(err, "training: sessions")
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, database.MapError(err, "training: sessions")
		}
		out = append(out, *ss)
	}
	return out, database.MapError(rows.Err(), "training: sessions")
}

// Sessions returns a case's sessions, oldest first.
func (s *Store) Sessions(ctx context.Context, caseID string) ([]Session, error) {
	return s.sessions(ctx, `s.case_id = $1`, caseID)
}

// Session returns one session of a case.
func (s *Store) Session(ctx context.Context, caseID, id string) (*Session, error) {
	ss, err := scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionColumns+sessionFrom+` WHERE s.case_id = $1 AND s.id = $2`, caseID, id))
	return ss, database.MapError(err, "training: session")
}

// TrainerSessions returns the sessions starting in [from, to) that a
// user leads or that belong to the cases the user accompanies.
func (s *Store) TrainerSessions(ctx context.Context, userID string, from, to time.Time) ([]Session, error) {
	return s.sessions(ctx, `(s.trainer_id = $1 OR s.case_id IN (SELECT case_id FROM case_trainers WHERE user_id = $1))
		AND s.starts_at >= $2 AND s.starts_at < $3`, userID, from.UTC(), to.UTC())
}

// AddSession records a session of an open case on behalf of actor; then
// (the audit line), given the session, commits in the same transaction:
// all of it or nothing.
//
// Errors: not found for an actor of another host; forbidden
// (error.forbidden) for one of its host who may not record sessions
// (MayRecord); conflict (err.case.closed) when the case is closed.
func (s *Store) AddSession(ctx context.Context, actor *accounts.User, c *Case, ss *Session, then ...func(*Session) database.Then) error {
	const op = "training: add session"
	if err := c.refuse(actor, c.MayRecord(actor), "error.forbidden", op); err != nil {
		return err
	}
	if c.Stage == StageClosed {
		return apperr.New(apperr.Conflict, "err.case.closed", op)
	}
	now := s.now()
	added := *ss
	added.ID, added.CaseID, added.CreatedAt, added.UpdatedAt = uuid.NewString(), c.ID, now, now
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := openInScope(ctx, tx, actor, c.ID, op); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO training_sessions (id, case_id, trainer_id, starts_at, duration_minutes, format, topics,
		attendees, notes, next_steps, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
			added.ID, c.ID, added.TrainerID, added.StartsAt.UTC(), added.Minutes, added.Format, strings.Join(added.Topics, ","), added.Attendees,
			added.Notes, added.NextSteps, now); err != nil {
			return err
		}
		return runWith(tx, &added, then)
	})
	if err != nil {
		return database.MapError(err, op)
	}
	*ss = added
	return nil
}

// UpdateSession saves a session's new values (the notes after it took
// place, a new date) on behalf of actor; then (the audit line) commits in
// the same transaction. Sessions of a closed case stay as they were.
//
// Errors: as AddSession, and not found for a session of another case.
func (s *Store) UpdateSession(ctx context.Context, actor *accounts.User, c *Case, ss *Session, then ...func(*Session) database.Then) error {
	const op = "training: update session"
	if err := c.refuse(actor, c.MayRecord(actor), "error.forbidden", op); err != nil {
		return err
	}
	if c.Stage == StageClosed {
		return apperr.New(apperr.Conflict, "err.case.closed", op)
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := openInScope(ctx, tx, actor, c.ID, op); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE training_sessions SET trainer_id = $1, starts_at = $2, duration_minutes = $3, format = $4,
		topics = $5, attendees = $6, notes = $7, next_steps = $8, updated_at = $9 WHERE id = $10 AND case_id = $11`,
			ss.TrainerID, ss.StartsAt.UTC(), ss.Minutes, ss.Format, strings.Join(ss.Topics, ","), ss.Attendees, ss.Notes, ss.NextSteps, now, ss.ID, c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found", op)
		}
		updated := *ss
		updated.UpdatedAt = now
		return runWith(tx, &updated, then)
	})
	if err != nil {
		return database.MapError(err, op)
	}
	ss.UpdatedAt = now
	return nil
}

// openInScope is inScope for a case that must still be open.
func openInScope(ctx context.Context, tx *sql.Tx, actor *accounts.User, caseID, op string) error {
	if err := inScope(ctx, tx, actor, caseID, op); err != nil {
		return err
	}
	var stage Stage
	if err := tx.QueryRowContext(ctx, `SELECT stage FROM cases WHERE id = $1`, caseID).Scan(&stage); err != nil {
		return err
	}
	if stage == StageClosed {
		return apperr.New(apperr.Conflict, "err.case.closed", op)
	}
	return nil
}

// runWith runs in tx the work each fn makes of v.
func runWith[T any](tx *sql.Tx, v T, fns []func(T) database.Then) error {
	for _, fn := range fns {
		if err := database.RunThen(tx, []database.Then{fn(v)}); err != nil {
			return err
		}
	}
	return nil
}
