package training

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
	"archipel/privlink"
)

// CheckinStatus is where a check-in stands.
type CheckinStatus string

// The statuses of a check-in.
const (
	CheckinScheduled CheckinStatus = "scheduled" // waiting for its due time
	CheckinSending   CheckinStatus = "sending"   // claimed by a worker, being sent
	CheckinSent      CheckinStatus = "sent"      // waiting for an answer
	CheckinReminding CheckinStatus = "reminding" // claimed by a worker, its reminder being sent
	CheckinReminded  CheckinStatus = "reminded"  // one reminder went out
	CheckinAnswered  CheckinStatus = "answered"
	CheckinExpired   CheckinStatus = "expired" // no answer after the reminder: the case is flagged
	CheckinStopped   CheckinStatus = "stopped" // the association asked to stop, or the case closed
)

// CheckinStatuses lists every status, for labels.
var CheckinStatuses = []CheckinStatus{CheckinScheduled, CheckinSending, CheckinSent, CheckinReminding, CheckinReminded,
	CheckinAnswered, CheckinExpired, CheckinStopped}

// Answerable reports whether the association may still answer. A
// scheduled check-in is answerable only through a link made for a send
// attempt that looked failed but reached the association.
func (s CheckinStatus) Answerable() bool {
	return s == CheckinScheduled || s == CheckinSending || s == CheckinSent || s == CheckinReminding || s == CheckinReminded
}

// checkinList writes the statuses a predicate selects as a quoted SQL list
// ('a', 'b'), so that queries and the Go rules read the same constants.
// The values are this package's constants, never input.
func checkinList(keep func(CheckinStatus) bool) string {
	var kept []CheckinStatus
	for _, s := range CheckinStatuses {
		if keep(s) {
			kept = append(kept, s)
		}
	}
	return database.QuotedList(kept)
}

// SQL lists of the statuses, written from the rules above.
var (
	answerableList = checkinList(CheckinStatus.Answerable)
	waitingList    = checkinList(CheckinStatus.Waiting)
	notSentList    = checkinList(func(s CheckinStatus) bool { return s == CheckinScheduled || s == CheckinSending })

	// The single statuses the dispatcher's claims compare with.
	scheduledSQL = statusSQL(CheckinScheduled)
	sendingSQL   = statusSQL(CheckinSending)
	sentSQL      = statusSQL(CheckinSent)
	remindingSQL = statusSQL(CheckinReminding)
	remindedSQL  = statusSQL(CheckinReminded)
)

// statusSQL is one status as a quoted SQL literal, written like the lists
// (empty, and so an SQL error, for a status missing from CheckinStatuses).
func statusSQL(one CheckinStatus) string {
	return checkinList(func(s CheckinStatus) bool { return s == one })
}

// Waiting reports whether the check-in waits for an answer.
func (s CheckinStatus) Waiting() bool {
	return s == CheckinSent || s == CheckinReminding || s == CheckinReminded
}

// CheckIn is a short questionnaire sent to an association at a set number
// of days after its workspace opened.
type CheckIn struct {
	ID            string
	CaseID        string
	OffsetDays    int
	DueAt         time.Time
	Status        CheckinStatus
	SentAt        time.Time
	RemindedAt    time.Time
	AnsweredAt    time.Time
	Rating        int
	Works         string
	Blocks        string
	WantsHelp     bool
	WantsTraining bool
	// Filled by the queries that list check-ins across cases.
	Association string
	HostID      string
}

const checkinColumns = `k.id, k.case_id, k.offset_days, k.due_at, k.status, k.sent_at, k.reminded_at, k.answered_at, k.rating,
	k.works, k.blocks, k.wants_help, k.wants_training, a.association_name, c.host_id`

const checkinFrom = ` FROM checkins k JOIN cases c ON c.id = k.case_id JOIN applications a ON a.id = c.application_id`

func scanCheckin(row interface{ Scan(...any) error }) (*CheckIn, error) {
	var k CheckIn
	var sent, reminded, answered sql.NullTime
	if err := row.Scan(&k.ID, &k.CaseID, &k.OffsetDays, &k.DueAt, &k.Status, &sent, &reminded, &answered, &k.Rating,
		&k.Works, &k.Blocks, &k.WantsHelp, &k.WantsTraining, &k.Association, &k.HostID); err != nil {
		return nil, err
	}
	k.SentAt, k.RemindedAt, k.AnsweredAt = sent.Time, reminded.Time, answered.Time
	return &k, nil
}

func (s *Store) checkins(ctx context.Context, where string, args ...any) ([]CheckIn, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+checkinColumns+checkinFrom+` WHERE `+where+` ORDER BY k.due_at`, args...)
	if err != nil {
		return nil, database.MapError(err, "training: check-ins")
	}
	defer rows.Close()
	var out []CheckIn
	for rows.Next() {
		k, err := scanCheckin(rows)
		if err != nil {
			return nil, database.MapError(err, "training: check-ins")
		}
		out = append(out, *k)
	}
	return out, database.MapError(rows.Err(), "training: check-ins")
}

// Checkins returns a case's check-ins in the order they are due.
func (s *Store) Checkins(ctx context.Context, caseID string) ([]CheckIn, error) {
	return s.checkins(ctx, `k.case_id = $1`, caseID)
}

// CheckinAnswer is the association's answer, as typed.
type CheckinAnswer struct {
	Rating string   `form:"checkin_rating"`
	Works  string   `form:"checkin_works"`
	Blocks string   `form:"checkin_blocks"`
	Help   []string `form:"checkin_help"` // "help", "training"
}

// HelpChoices are the offers of the check-in form.
var HelpChoices = []string{"help", "training"}

// Validate checks an answer: a rating from 1 to 5, texts of reasonable length.
func (a *CheckinAnswer) Validate() onboarding.FieldErrors {
	var fe onboarding.FieldErrors
	a.Works, a.Blocks = strings.TrimSpace(a.Works), strings.TrimSpace(a.Blocks)
	if n, err := strconv.Atoi(strings.TrimSpace(a.Rating)); err != nil || n < 1 || n > 5 {
		fe = append(fe, onboarding.FieldError{Field: "checkin_rating", Key: "err.checkin.rating"})
	}
	if utf8.RuneCountInString(a.Works) > maxNextSteps {
		fe = append(fe, onboarding.FieldError{Field: "checkin_works", Key: "err.too_long"})
	}
	if utf8.RuneCountInString(a.Blocks) > maxNextSteps {
		fe = append(fe, onboarding.FieldError{Field: "checkin_blocks", Key: "err.too_long"})
	}
	for _, h := range a.Help {
		if h != "help" && h != "training" {
			fe = append(fe, onboarding.FieldError{Field: "checkin_help", Key: "err.choice"})
			break
		}
	}
	return fe
}

func (a *CheckinAnswer) wants(v string) bool {
	for _, h := range a.Help {
		if h == v {
			return true
		}
	}
	return false
}

// errUnknownLink is what every unknown, mistyped or replaced check-in link
// gets: the same "not found", revealing nothing.
func errUnknownLink(op string) error {
	return apperr.New(apperr.NotFound, "err.checkin.unknown", op)
}

// CheckinByToken returns the check-in a private link opens, with its case.
// NotFound (err.checkin.unknown) for any link that opens nothing.
func (s *Store) CheckinByToken(ctx context.Context, token string) (*CheckIn, *Case, error) {
	const op = "training: check-in by link"
	if !privlink.Plausible(token) {
		return nil, nil, errUnknownLink(op)
	}
	k, err := scanCheckin(s.db.QueryRowContext(ctx, `SELECT `+checkinColumns+checkinFrom+` WHERE k.token_hash = $1`, privlink.Hash(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errUnknownLink(op)
	}
	if err != nil {
		return nil, nil, database.MapError(err, op)
	}
	c, err := s.Get(ctx, k.CaseID)
	if err != nil {
		return nil, nil, err
	}
	return k, c, nil
}

// AnswerThen is work done in the transaction that records a check-in's
// answer, given the answered check-in and its case (telling the trainers).
type AnswerThen func(tx *sql.Tx, k *CheckIn, c *Case) error

// ClosedKey is the message that explains why a check-in takes no answer,
// or "" when it does.
func ClosedKey(k *CheckIn, c *Case) string {
	switch {
	case k.Status == CheckinAnswered:
		return "checkin.closed.answered"
	case c.Stage == StageClosed:
		return "checkin.closed.case_closed"
	case k.Status == CheckinStopped || c.CheckinsStopped:
		return "checkin.closed.stopped"
	case !k.Status.Answerable():
		return "checkin.closed.expired"
	}
	return ""
}

// AnswerCheckin records the association's answer through its private link,
// once: a second answer, or one to a closed, expired or stopped check-in, is
// a conflict whose key says why (see ClosedKey). An answer lifts the case's
// "checkin_unanswered" flag.
func (s *Store) AnswerCheckin(ctx context.Context, token string, a CheckinAnswer, then ...AnswerThen) (*CheckIn, *Case, error) {
	const op = "training: answer check-in"
	k, c, err := s.CheckinByToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if key := ClosedKey(k, c); key != "" {
		return k, c, apperr.New(apperr.Conflict, key, op)
	}
	if fe := a.Validate(); len(fe) > 0 {
		return k, c, apperr.New(apperr.Invalid, fe[0].Key, op)
	}
	rating, _ := strconv.Atoi(strings.TrimSpace(a.Rating))
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The status test makes the answer count once even when the same
		// form is sent twice at the same moment.
		res, err := tx.ExecContext(ctx, `UPDATE checkins SET status = $1, answered_at = $2, rating = $3, works = $4, blocks = $5,
			wants_help = $6, wants_training = $7, claimed_by = '', lease_until = NULL
			WHERE id = $8 AND token_hash = $9 AND status IN (`+answerableList+`)
			AND NOT EXISTS (SELECT 1 FROM cases WHERE id = checkins.case_id AND checkins_stopped = TRUE)`,
			CheckinAnswered, now, rating, a.Works, a.Blocks, a.wants("help"), a.wants("training"), k.ID, privlink.Hash(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "checkin.closed.answered", op)
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM case_flags WHERE case_id = $1 AND flag = $2`, c.ID, FlagCheckinUnanswered); err != nil {
			return err
		}
		answered := *k
		answered.Status, answered.AnsweredAt, answered.Rating, answered.Works, answered.Blocks = CheckinAnswered, now, rating, a.Works, a.Blocks
		answered.WantsHelp, answered.WantsTraining = a.wants("help"), a.wants("training")
		for _, fn := range then {
			if err := fn(tx, &answered, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Conflict {
			// Someone (the same person, twice) got there first: say why.
			if k2, c2, err2 := s.CheckinByToken(ctx, token); err2 == nil {
				if key := ClosedKey(k2, c2); key != "" {
					return k2, c2, apperr.New(apperr.Conflict, key, op)
				}
			}
			return k, c, err
		}
		return k, c, database.MapError(err, op)
	}
	k.Status, k.AnsweredAt, k.Rating, k.Works, k.Blocks = CheckinAnswered, now, rating, a.Works, a.Blocks
	k.WantsHelp, k.WantsTraining = a.wants("help"), a.wants("training")
	return k, c, nil
}

// StopCheckins stops every check-in still to come of the case a private
// link belongs to, at the association's request; then (the audit line),
// given the case, commits in the same transaction. Stopping twice is not
// an error.
func (s *Store) StopCheckins(ctx context.Context, token string, then ...func(*Case) database.Then) (*Case, error) {
	const op = "training: stop check-ins"
	_, c, err := s.CheckinByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET checkins_stopped = TRUE, version = version + 1, updated_at = $1
			WHERE id = $2 AND checkins_stopped = FALSE`, s.now(), c.ID); err != nil {
			return err
		}
		if err := stopPending(ctx, tx, c.ID); err != nil {
			return err
		}
		return runWith(tx, c, then)
	})
	if err != nil {
		return nil, database.MapError(err, op)
	}
	c.CheckinsStopped = true
	return c, nil
}

// stopPending marks the check-ins of a case that are not over as stopped.
// One being sent right now may still arrive: its link then says it stopped.
func stopPending(ctx context.Context, tx *sql.Tx, caseID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE checkins SET status = $1, claimed_by = '', lease_until = NULL
		WHERE case_id = $2 AND status IN (`+answerableList+`)`, CheckinStopped, caseID)
	return err
}
