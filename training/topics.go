package training

import (
	"context"
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

// Topics returns a host's catalogue: the defaults, then its own topics.
func (s *Store) Topics(ctx context.Context, hostID string) ([]Topic, error) {
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

// AddTopic adds a topic to a host's catalogue. Invalid (err.topic.invalid)
// when the form does not validate.
func (s *Store) AddTopic(ctx context.Context, hostID string, f TopicForm) (Topic, error) {
	existing, err := s.Topics(ctx, hostID)
	if err != nil {
		return Topic{}, err
	}
	if fe := f.Validate(existing); len(fe) > 0 {
		return Topic{}, apperr.New(apperr.Invalid, fe[0].Key, "training: add topic")
	}
	if f.LabelEN == "" {
		f.LabelEN = f.LabelFR
	}
	t := Topic{Key: "h-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12], LabelFR: f.LabelFR, LabelEN: f.LabelEN, Custom: true}
	_, err = s.db.ExecContext(ctx, `INSERT INTO training_topics (host_id, key, label_fr, label_en) VALUES ($1, $2, $3, $4)`,
		hostID, t.Key, t.LabelFR, t.LabelEN)
	return t, database.MapError(err, "training: add topic")
}
