package onboarding

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris even where the system has no zoneinfo

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// Paris is the time zone staff type interview times in.
var Paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err) // embedded by time/tzdata
	}
	return loc
}()

// How an interview takes place.
const (
	ModePhone    = "phone"
	ModeVideo    = "video"
	ModeInPerson = "in_person"
)

// InterviewModes lists the ways an interview may take place.
var InterviewModes = []string{ModePhone, ModeVideo, ModeInPerson}

// Interview statuses: planned, or the association asked for another time.
const (
	InterviewPlanned             = "planned"
	InterviewRescheduleRequested = "reschedule_requested"
)

// GuideSections are the sections of the interview guide, in the order they
// are discussed.
var GuideSections = []string{"activity", "people", "tools", "needs", "constraints", "data"}

// GuideNotes are staff's notes per section of the interview guide.
type GuideNotes map[string]string

// Interview is the host's meeting with the association before deciding.
type Interview struct {
	ID            string
	ApplicationID string
	Start         time.Time
	Duration      time.Duration
	Mode          string
	Link          string
	Place         string
	Status        string
	Notes         GuideNotes
	// Sequence counts reschedulings: calendar clients replace an invitation
	// by one with the same UID and a higher sequence.
	Sequence  int
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// End is when the interview is planned to end.
func (iv *Interview) End() time.Time { return iv.Start.Add(iv.Duration) }

// Minutes is the interview's planned length in minutes.
func (iv *Interview) Minutes() int { return int(iv.Duration / time.Minute) }

// Form returns the interview as the scheduling form shows it, in Paris time.
func (iv *Interview) Form() InterviewForm {
	local := iv.Start.In(Paris)
	// The date as a native date field holds it (the browser shows it in
	// the reader's format); typed by hand, both forms are read.
	return InterviewForm{Date: local.Format("2006-01-02"), Time: local.Format("15:04"),
		Duration: strconv.Itoa(iv.Minutes()), Mode: iv.Mode, Link: iv.Link, Place: iv.Place}
}

// InterviewForm is the scheduling form, as typed: date and time in
// Europe/Paris.
type InterviewForm struct {
	Date     string `form:"interview_date"`
	Time     string `form:"interview_time"`
	Duration string `form:"interview_duration"`
	Mode     string `form:"interview_mode"`
	Link     string `form:"interview_link"`
	Place    string `form:"interview_place"`
}

// Slot is a checked interview time and way of meeting.
type Slot struct {
	Start    time.Time // UTC
	Duration time.Duration
	Mode     string
	Link     string
	Place    string
}

// Interview length bounds, in minutes.
const (
	MinInterviewMinutes = 15
	MaxInterviewMinutes = 480
)

var (
	dateLayouts = []string{"2006-01-02", "02/01/2006", "2/1/2006"}
	clockRe     = regexp.MustCompile(`^(\d{1,2})[:hH](\d{2})$`)
)

// Validate checks the form at time now and returns the slot it describes:
// a real date, a time written HH:MM that exists in Paris that day (not in
// the hour skipped in spring), not in the past, within a year.
func (f *InterviewForm) Validate(now time.Time) (Slot, FieldErrors) {
	var fe FieldErrors
	f.Date, f.Time, f.Duration = clean(f.Date), clean(f.Time), clean(f.Duration)
	f.Link, f.Place = clean(f.Link), clean(f.Place)
	var day time.Time
	dateOK := false
	if f.Date == "" {
		fe.add("interview_date", "err.interview_date.required")
	} else {
		for _, layout := range dateLayouts {
			if d, err := time.ParseInLocation(layout, f.Date, Paris); err == nil {
				day, dateOK = d, true
				break
			}
		}
		if !dateOK {
			fe.add("interview_date", "err.interview_date.invalid")
		}
	}
	hour, minute, clockOK := 0, 0, false
	if f.Time == "" {
		fe.add("interview_time", "err.interview_time.required")
	} else if m := clockRe.FindStringSubmatch(f.Time); m != nil {
		hour, _ = strconv.Atoi(m[1])
		minute, _ = strconv.Atoi(m[2])
		clockOK = hour < 24 && minute < 60
	}
	if f.Time != "" && !clockOK {
		fe.add("interview_time", "err.interview_time.invalid")
	}
	var start time.Time
	if dateOK && clockOK {
		start = time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, Paris)
		today := now.In(Paris)
		todayStart := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, Paris)
		switch {
		case start.Hour() != hour || start.Minute() != minute:
			fe.add("interview_time", "err.interview_time.nonexistent")
		case day.Before(todayStart):
			fe.add("interview_date", "err.interview_date.past")
		case !start.After(now):
			fe.add("interview_time", "err.interview_time.past")
		case start.After(now.AddDate(1, 0, 0)):
			fe.add("interview_date", "err.interview_date.far")
		}
	}
	minutes := 0
	if f.Duration == "" {
		fe.add("interview_duration", "err.interview_duration.required")
	} else if n, err := strconv.Atoi(f.Duration); err != nil {
		fe.add("interview_duration", "err.number")
	} else if n < MinInterviewMinutes || n > MaxInterviewMinutes {
		fe.add("interview_duration", "err.interview_duration.range")
	} else {
		minutes = n
	}
	fe.choice("interview_mode", f.Mode, InterviewModes, true)
	slot := Slot{Start: start.UTC(), Duration: time.Duration(minutes) * time.Minute, Mode: f.Mode}
	switch f.Mode {
	case ModeVideo:
		if f.Link == "" {
			fe.add("interview_link", "err.interview_link.required")
		} else if u, err := url.Parse(f.Link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || tooLong(f.Link, 500) {
			fe.add("interview_link", "err.interview_link.invalid")
		}
		slot.Link = f.Link
	case ModeInPerson:
		fe.line("interview_place", f.Place, true, 300)
		slot.Place = f.Place
	}
	return slot, fe
}

const interviewColumns = `id, application_id, scheduled_at, duration_minutes, mode, link, place, status, notes, sequence,
	created_by, created_at, updated_at`

func scanInterview(row scanner) (*Interview, error) {
	var iv Interview
	var minutes int
	var notes string
	if err := row.Scan(&iv.ID, &iv.ApplicationID, &iv.Start, &minutes, &iv.Mode, &iv.Link, &iv.Place, &iv.Status,
		&notes, &iv.Sequence, &iv.CreatedBy, &iv.CreatedAt, &iv.UpdatedAt); err != nil {
		return nil, err
	}
	iv.Start = iv.Start.UTC()
	iv.Duration = time.Duration(minutes) * time.Minute
	if err := json.Unmarshal([]byte(notes), &iv.Notes); err != nil {
		return nil, err
	}
	if iv.Notes == nil {
		iv.Notes = GuideNotes{}
	}
	return &iv, nil
}

// currentHostInterview keeps the interviews of the host the request is with
// now (the query's $1 is the request): a host it was transferred from keeps
// its interview, and the guide's notes, to itself.
const currentHostInterview = `host_id = COALESCE((SELECT host_id FROM applications WHERE id = $1), '')`

// Interview returns a request's interview with its current host (its
// latest, should there be several); not found when none was planned.
func (s *Store) Interview(ctx context.Context, applicationID string) (*Interview, error) {
	iv, err := scanInterview(s.db.QueryRowContext(ctx, `SELECT `+interviewColumns+` FROM interviews
		WHERE application_id = $1 AND `+currentHostInterview+` ORDER BY created_at DESC, id LIMIT 1`, applicationID))
	return iv, database.MapError(err, "onboarding: interview")
}

// AfterSchedule is work that commits with a planned or moved interview and
// needs to know it, such as its audit line and the invitation e-mail.
type AfterSchedule func(iv *Interview, moved bool) database.Then

// ScheduleInterview plans the request's interview, or moves it (same
// interview, its sequence raised), and moves the request to
// interview_planned. It reports whether an existing interview was moved.
// The request's version guards against a decision taken meanwhile. Then
// (the audit line, the association's invitation) commits in the same
// transaction: all of it or nothing. Not found for an actor who may not
// decide on the request (DecidesOn).
func (s *Store) ScheduleInterview(ctx context.Context, a *Application, slot Slot, actor *accounts.User, then ...AfterSchedule) (*Interview, bool, error) {
	if slot.Start.IsZero() || slot.Duration <= 0 || !oneOf(slot.Mode, InterviewModes) {
		return nil, false, apperr.New(apperr.Invalid, "error.invalid", "onboarding: schedule interview")
	}
	var iv *Interview
	moved := false
	now := s.now()
	before := *a
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := DecidesOn(ctx, tx, actor, a.ID); err != nil {
			return err
		}
		// The transition comes next: it takes the write lock and checks the
		// version before anything else is read.
		if err := s.Transition(ctx, tx, a, StatusInterviewPlanned, actor.Email, slot.Start.Format(time.RFC3339)); err != nil {
			return err
		}
		old, err := scanInterview(tx.QueryRowContext(ctx, `SELECT `+interviewColumns+` FROM interviews
			WHERE application_id = $1 AND `+currentHostInterview+` ORDER BY created_at DESC, id LIMIT 1`, a.ID))
		switch {
		case err == nil:
			moved = true
			old.Start, old.Duration, old.Mode, old.Link, old.Place = slot.Start, slot.Duration, slot.Mode, slot.Link, slot.Place
			old.Status, old.Sequence, old.UpdatedAt = InterviewPlanned, old.Sequence+1, now
			iv = old
			if _, err = tx.ExecContext(ctx, `UPDATE interviews SET scheduled_at = $1, duration_minutes = $2, mode = $3, link = $4,
				place = $5, status = $6, sequence = $7, updated_at = $8 WHERE id = $9`,
				iv.Start, iv.Minutes(), iv.Mode, iv.Link, iv.Place, iv.Status, iv.Sequence, now, iv.ID); err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
			iv = &Interview{ID: uuid.NewString(), ApplicationID: a.ID, Start: slot.Start, Duration: slot.Duration,
				Mode: slot.Mode, Link: slot.Link, Place: slot.Place, Status: InterviewPlanned, Notes: GuideNotes{},
				CreatedBy: actor.Email, CreatedAt: now, UpdatedAt: now}
			_, err = tx.ExecContext(ctx, `INSERT INTO interviews (id, application_id, scheduled_at, duration_minutes, mode, link,
				place, status, notes, sequence, created_by, created_at, updated_at, host_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}', 0, $9, $10, $10, COALESCE((SELECT host_id FROM applications WHERE id = $2), ''))`,
				iv.ID, a.ID, iv.Start, iv.Minutes(), iv.Mode, iv.Link, iv.Place, iv.Status, actor.Email, now)
			if err != nil {
				return err
			}
		default:
			return err
		}
		for _, fn := range then {
			if err := database.RunThen(tx, []database.Then{fn(iv, moved)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		*a = before // nothing was kept
		return nil, false, database.MapError(err, "onboarding: schedule interview")
	}
	return iv, moved, nil
}

// Validate checks guide notes: known sections, each of a reasonable length.
func (n GuideNotes) Validate() FieldErrors {
	var fe FieldErrors
	for _, sec := range GuideSections {
		n[sec] = strings.TrimSpace(n[sec])
		if tooLong(n[sec], 5000) {
			fe.add("guide_"+sec, "err.too_long")
		}
	}
	for k := range n {
		if !oneOf(k, GuideSections) {
			delete(n, k)
		}
	}
	return fe
}

// SaveGuideNotes keeps the interview guide's notes with the request's
// interview, on behalf of actor; then (the audit line) commits in the same
// transaction: all of it or nothing. Those who may decide (MayDecide) keep
// the guide: trainers read requests, they do not interview.
//
// Errors: invalid (the field's key); not found for a request actor may
// not see (another host's, a draft) or an account that may not decide,
// as if the request did not exist; not found (err.interview.none) when the
// request has no interview with its current host.
func (s *Store) SaveGuideNotes(ctx context.Context, actor *accounts.User, applicationID string, notes GuideNotes, then ...database.Then) error {
	const op = "onboarding: save guide notes"
	if fe := notes.Validate(); len(fe) > 0 {
		return apperr.New(apperr.Invalid, fe[0].Key, op)
	}
	if !MayDecide(actor) {
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	raw, err := json.Marshal(notes)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var one int
		// The scope is in the SQL, as ForStaff's.
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM applications a WHERE a.id = $1 AND a.status <> $2 AND ($3 OR (a.host_id = $4 AND $4 <> ''))`,
			applicationID, StatusDraft, actor.Admin(), actor.HostID).Scan(&one); err != nil {
			return err
		}
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM interviews WHERE application_id = $1 AND `+currentHostInterview+
			` ORDER BY created_at DESC, id LIMIT 1`, applicationID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "err.interview.none", op)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE interviews SET notes = $1, updated_at = $2 WHERE id = $3`, string(raw), s.now(), id); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, op)
}

// Reschedule is the association asking for another interview time.
type Reschedule struct {
	Message string `form:"reschedule_message"`
}

// Validate checks the association's message.
func (r *Reschedule) Validate() FieldErrors {
	var fe FieldErrors
	r.Message = clean(r.Message)
	fe.text("reschedule_message", r.Message, true, 1000)
	return fe
}

// AskAnotherTime records that the association cannot make the planned
// interview, with its message, in the public timeline; then runs in its
// transaction.
func (s *Store) AskAnotherTime(ctx context.Context, a *Application, r Reschedule, then ...database.Then) error {
	if fe := r.Validate(); len(fe) > 0 {
		return apperr.New(apperr.Invalid, fe[0].Key, "onboarding: ask another time")
	}
	if a.Status != StatusInterviewPlanned {
		return apperr.New(apperr.Conflict, "err.interview.none", "onboarding: ask another time")
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE interviews SET status = $1, updated_at = $2 WHERE application_id = $3
			AND host_id = COALESCE((SELECT host_id FROM applications WHERE id = $3), '')`,
			InterviewRescheduleRequested, now, a.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.interview.none", "onboarding: ask another time")
		}
		if err := addEvent(ctx, tx, a.ID, EventRescheduleRequested, "", r.Message, true, now); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, "onboarding: ask another time")
}
