package training

import (
	"strings"
	"testing"
	"time"
)

func TestSessionFormValidate(t *testing.T) {
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	topics := append([]Topic(nil), DefaultTopics...)
	topics = append(topics, Topic{Key: "h-deck", LabelFR: "Deck", Custom: true})
	trainers := []Trainer{{ID: "cam"}}
	valid := SessionForm{Date: "2026-03-14", Time: "14:30", Minutes: "90", Format: "on_site", Topics: []string{"calendars", "h-deck"},
		Attendees: "6", Trainer: "cam", Notes: " Bien ", NextSteps: "Importer"}
	tests := []struct {
		name   string
		change func(f *SessionForm)
		field  string // "" when the form is valid
		key    string
	}{
		{"a complete session is valid", func(f *SessionForm) {}, "", ""},
		{"a planned session needs no attendees, topics nor trainer", func(f *SessionForm) { f.Attendees, f.Topics, f.Trainer = "", nil, "" }, "", ""},
		{"the date is required", func(f *SessionForm) { f.Date = "" }, "session_date", "err.session.date_required"},
		{"the 30th of February does not exist", func(f *SessionForm) { f.Date = "2026-02-30" }, "session_date", "err.session.date_invalid"},
		{"a date in French order that does not exist is refused", func(f *SessionForm) { f.Date = "30/02/2026" }, "session_date", "err.session.date_invalid"},
		{"a date typed in French order, where the browser has no date field, is read", func(f *SessionForm) { f.Date = "14/03/2026" }, "", ""},
		{"a session three years ago is refused", func(f *SessionForm) { f.Date = "2023-03-14" }, "session_date", "err.session.date_range"},
		{"a session three years ahead is refused", func(f *SessionForm) { f.Date = "2029-03-14" }, "session_date", "err.session.date_range"},
		{"the time is required", func(f *SessionForm) { f.Time = "" }, "session_time", "err.session.time_required"},
		{"25:00 is no time", func(f *SessionForm) { f.Time = "25:00" }, "session_time", "err.session.time_invalid"},
		{"the hour skipped when clocks go forward does not exist", func(f *SessionForm) { f.Date, f.Time = "2026-03-29", "02:30" }, "session_time", "err.session.time_invalid"},
		{"a duration of 0 is refused", func(f *SessionForm) { f.Minutes = "0" }, "session_duration", "err.session.duration_range"},
		{"a duration over 12 hours is refused", func(f *SessionForm) { f.Minutes = "721" }, "session_duration", "err.session.duration_range"},
		{"12 hours exactly is accepted", func(f *SessionForm) { f.Minutes = "720" }, "", ""},
		{"a duration in words is refused", func(f *SessionForm) { f.Minutes = "1h30" }, "session_duration", "err.number"},
		{"the duration is required", func(f *SessionForm) { f.Minutes = " " }, "session_duration", "err.session.duration_required"},
		{"an unknown format is refused", func(f *SessionForm) { f.Format = "hybrid" }, "session_format", "err.choice"},
		{"a topic of another catalogue is refused", func(f *SessionForm) { f.Topics = []string{"calendars", "h-other"} }, "session_topics", "err.choice"},
		{"negative attendees are refused", func(f *SessionForm) { f.Attendees = "-2" }, "session_attendees", "err.session.attendees_range"},
		{"a trainer of another host is refused", func(f *SessionForm) { f.Trainer = "far" }, "session_trainer", "err.choice"},
		{"notes too long are refused", func(f *SessionForm) { f.Notes = strings.Repeat("é", 4001) }, "session_notes", "err.too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid
			f.Topics = append([]string(nil), valid.Topics...)
			tt.change(&f)
			s, fe := f.Validate(now, topics, trainers)
			if tt.field == "" {
				if len(fe) > 0 {
					t.Fatalf("errors %v", fe)
				}
				if s.Minutes <= 0 || s.StartsAt.IsZero() || s.StartsAt.Location() != time.UTC {
					t.Errorf("session %+v", s)
				}
				return
			}
			if got := fe.For(tt.field); got != tt.key {
				t.Errorf("error on %s = %q (all: %v), want %q", tt.field, got, fe, tt.key)
			}
		})
	}
	t.Run("the time is read in Paris and stored in UTC", func(t *testing.T) {
		f := valid
		s, fe := f.Validate(now, topics, trainers)
		if len(fe) > 0 || !s.StartsAt.Equal(time.Date(2026, 3, 14, 13, 30, 0, 0, time.UTC)) || s.Notes != "Bien" {
			t.Errorf("session %+v, %v", s, fe)
		}
		if back := FormOf(&s); back.Date != "2026-03-14" || back.Time != "14:30" || back.Minutes != "90" {
			t.Errorf("FormOf = %+v", back)
		}
	})
}

func TestSessionsOfACase(t *testing.T) {
	e := newEnv(t)
	c, _ := sentCheckin(t, e)
	e.staff("cam", "h1", "trainer", "Camille")
	if err := e.store.AssignTrainers(e.ctx, testAdmin, c, []string{"cam"}); err != nil {
		t.Fatal(err)
	}
	s := Session{TrainerID: "cam", StartsAt: e.clock.Now().Add(2 * day), Minutes: 90, Format: FormatRemote, Topics: []string{"calendars"}}
	if err := e.store.AddSession(e.ctx, testAdmin, c, &s); err != nil {
		t.Fatal(err)
	}
	s.Attendees, s.Notes = 5, "Bien passé"
	if err := e.store.UpdateSession(e.ctx, testAdmin, c, &s); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Session(e.ctx, c.ID, s.ID)
	if err != nil || got.Attendees != 5 || got.Notes != "Bien passé" || got.Association != "Les Amis du Vélo" || got.Topics[0] != "calendars" {
		t.Errorf("session %+v, %v", got, err)
	}
	start, end := WeekOf(e.clock.Now())
	if week, err := e.store.TrainerSessions(e.ctx, "cam", start, end); err != nil || len(week) != 1 {
		t.Errorf("the trainer's week: %+v, %v", week, err)
	}
	if _, err := e.store.Session(e.ctx, "another-case", s.ID); err == nil {
		t.Error("a session opened through another case")
	}
	if err := e.store.Close(e.ctx, testAdmin, c, OutcomeSuccess, "Autonomes"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddSession(e.ctx, testAdmin, c, &Session{StartsAt: e.clock.Now(), Minutes: 30, Format: FormatRemote}); err == nil {
		t.Error("a session added to a closed case")
	}
}

func TestWeekOf(t *testing.T) {
	for _, tt := range []struct{ at, want string }{
		{"2026-03-04T12:00:00Z", "2026-03-02T00:00:00+01:00"},
		{"2026-03-01T23:30:00Z", "2026-03-02T00:00:00+01:00"}, // already Monday in Paris
		{"2026-03-29T12:00:00Z", "2026-03-23T00:00:00+01:00"}, // the Sunday clocks go forward
	} {
		at, _ := time.Parse(time.RFC3339, tt.at)
		start, end := WeekOf(at)
		if got := start.Format(time.RFC3339); got != tt.want || end.Sub(start) < 167*time.Hour {
			t.Errorf("WeekOf(%s) = %s … %s, want %s", tt.at, got, end, tt.want)
		}
	}
}
