package training

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
)

// Topic is a subject a training session covers. The default topics are
// built in (their labels are messages "topic.<key>"); a host's own topics
// carry their labels.
type Topic struct {
	Key     string
	LabelFR string
	LabelEN string
	Custom  bool
}

// Label is a host's own label for a custom topic in a language.
func (t Topic) Label(lang string) string {
	if lang == "en" && t.LabelEN != "" {
		return t.LabelEN
	}
	return t.LabelFR
}

// DefaultTopics are every host's catalogue before it adds its own.
var DefaultTopics = []Topic{
	{Key: "file_sharing"}, {Key: "calendars"}, {Key: "video_calls"},
	{Key: "online_documents"}, {Key: "passwords_security"}, {Key: "leaving_google_drive"},
}

// Topics returns a host's catalogue as actor may read it: the defaults,
// then its own topics. Any account of the host reads it (trainers name
// their sessions' topics); administrators read every host's. Not found for
// another host's catalogue.
func (s *Store) Topics(ctx context.Context, actor *accounts.User, hostID string) ([]Topic, error) {
	if actor == nil || (!actor.Admin() && (actor.HostID == "" || actor.HostID != hostID)) {
		return nil, apperr.New(apperr.NotFound, "error.not_found", "training: topics")
	}
	return s.topics(ctx, hostID)
}

// topics returns a host's catalogue.
func (s *Store) topics(ctx context.Context, hostID string) ([]Topic, error) {
	out := append([]Topic(nil), DefaultTopics...)
	rows, err := s.db.QueryContext(ctx, `SELECT key, label_fr, label_en FROM training_topics WHERE host_id = $1 ORDER BY label_fr`, hostID)
	if err != nil {
		return nil, database.MapError(err, "training: topics")
	}
	defer rows.Close()
	for rows.Next() {
		t := Topic{Custom: true}
		if err := rows.Scan(&t.Key, &t.LabelFR, &t.LabelEN); err != nil {
			return nil, database.MapError(err, "training: topics")
		}
		out = append(out, t)
	}
	return out, database.MapError(rows.Err(), "training: topics")
}

// TopicForm is a host's new topic, as typed.
type TopicForm struct {
	LabelFR string `form:"topic_label_fr"`
	LabelEN string `form:"topic_label_en"`
}

// Validate checks a new topic: a French label is needed, the English one
// defaults to it, and neither may repeat a topic the host already has.
func (f *TopicForm) Validate(existing []Topic) onboarding.FieldErrors {
	var fe onboarding.FieldErrors
	f.LabelFR, f.LabelEN = strings.TrimSpace(f.LabelFR), strings.TrimSpace(f.LabelEN)
	switch {
	case accounts.HasControl(f.LabelFR):
		fe = append(fe, onboarding.FieldError{Field: "topic_label_fr", Key: "err.control_chars"})
	case f.LabelFR == "":
		fe = append(fe, onboarding.FieldError{Field: "topic_label_fr", Key: "err.topic.label_required"})
	case utf8.RuneCountInString(f.LabelFR) > 80:
		fe = append(fe, onboarding.FieldError{Field: "topic_label_fr", Key: "err.too_long"})
	}
	switch {
	case accounts.HasControl(f.LabelEN):
		fe = append(fe, onboarding.FieldError{Field: "topic_label_en", Key: "err.control_chars"})
	case utf8.RuneCountInString(f.LabelEN) > 80:
		fe = append(fe, onboarding.FieldError{Field: "topic_label_en", Key: "err.too_long"})
	}
	for _, t := range existing {
		if t.Custom && strings.EqualFold(t.LabelFR, f.LabelFR) && f.LabelFR != "" {
			fe = append(fe, onboarding.FieldError{Field: "topic_label_fr", Key: "err.topic.exists"})
			break
		}
	}
	return fe
}

// MayEditCatalogue reports whether actor may add topics to a host's
// catalogue: the administrators and the host's staff (not its trainers).
func MayEditCatalogue(actor *accounts.User, hostID string) bool {
	return actor != nil && (actor.Admin() || (actor.Role == accounts.RoleStaff && hostID != "" && actor.HostID == hostID))
}

// AddTopic adds a topic to a host's catalogue on behalf of actor; then
// (the audit line), given the topic, commits in the same transaction: all
// of it or nothing.
//
// Errors: not found for an actor of another host (or a host that does not
// exist); forbidden (error.forbidden) for a trainer of the host;
// invalid (the field's key) when the form does not validate.
func (s *Store) AddTopic(ctx context.Context, actor *accounts.User, hostID string, f TopicForm, then ...func(Topic) database.Then) (Topic, error) {
	const op = "training: add topic"
	if !MayEditCatalogue(actor, hostID) {
		if actor == nil || actor.HostID != hostID || hostID == "" {
			return Topic{}, apperr.New(apperr.NotFound, "error.not_found", op)
		}
		return Topic{}, apperr.New(apperr.Forbidden, "error.forbidden", op)
	}
	existing, err := s.topics(ctx, hostID)
	if err != nil {
		return Topic{}, err
	}
	if fe := f.Validate(existing); len(fe) > 0 {
		return Topic{}, apperr.New(apperr.Invalid, fe[0].Key, op)
	}
	if f.LabelEN == "" {
		f.LabelEN = f.LabelFR
	}
	t := Topic{Key: "h-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12], LabelFR: f.LabelFR, LabelEN: f.LabelEN, Custom: true}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The host must exist, and be the actor's (any, for an administrator).
		res, err := tx.ExecContext(ctx, `INSERT INTO training_topics (host_id, key, label_fr, label_en)
			SELECT id, $2, $3, $4 FROM hosts WHERE id = $1 AND ($5 OR id = $6)`, hostID, t.Key, t.LabelFR, t.LabelEN, actor.Admin(), actor.HostID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found", op)
		}
		return runWith(tx, t, then)
	})
	if err != nil {
		return Topic{}, database.MapError(err, op)
	}
	return t, nil
}
