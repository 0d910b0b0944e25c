package onboarding_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"archipel/apperr"
	"archipel/onboarding"
)

func TestInterviewFormValidate(t *testing.T) {
	// Monday 2 March 2026, 10:00 in Paris.
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	valid := func() onboarding.InterviewForm {
		return onboarding.InterviewForm{Date: "10/03/2026", Time: "14:30", Duration: "60", Mode: "video", Link: "https://visio.example.org/x"}
	}
	tests := []struct {
		name   string
		change func(f *onboarding.InterviewForm)
		errors []string
	}{
		{"a complete form is accepted", func(f *onboarding.InterviewForm) {}, nil},
		{"an ISO date is accepted", func(f *onboarding.InterviewForm) { f.Date = "2026-03-10" }, nil},
		{"a time written 9h05 is accepted", func(f *onboarding.InterviewForm) { f.Time = "9h05" }, nil},
		{"an empty form names every required field", func(f *onboarding.InterviewForm) { *f = onboarding.InterviewForm{} },
			[]string{"interview_date=err.interview_date.required", "interview_time=err.interview_time.required",
				"interview_duration=err.interview_duration.required", "interview_mode=err.interview_mode.required"}},
		{"the 30th of February does not exist", func(f *onboarding.InterviewForm) { f.Date = "30/02/2026" }, []string{"interview_date=err.interview_date.invalid"}},
		{"a date in words is refused", func(f *onboarding.InterviewForm) { f.Date = "mardi prochain" }, []string{"interview_date=err.interview_date.invalid"}},
		{"25:00 is not a time", func(f *onboarding.InterviewForm) { f.Time = "25:00" }, []string{"interview_time=err.interview_time.invalid"}},
		{"14:60 is not a time", func(f *onboarding.InterviewForm) { f.Time = "14:60" }, []string{"interview_time=err.interview_time.invalid"}},
		{"a time without minutes is refused", func(f *onboarding.InterviewForm) { f.Time = "14" }, []string{"interview_time=err.interview_time.invalid"}},
		{"yesterday is past", func(f *onboarding.InterviewForm) { f.Date = "01/03/2026" }, []string{"interview_date=err.interview_date.past"}},
		{"earlier today is past", func(f *onboarding.InterviewForm) { f.Date = "02/03/2026"; f.Time = "09:30" }, []string{"interview_time=err.interview_time.past"}},
		{"later today is fine", func(f *onboarding.InterviewForm) { f.Date = "02/03/2026"; f.Time = "10:30" }, nil},
		{"more than a year ahead is refused", func(f *onboarding.InterviewForm) { f.Date = "10/03/2027" }, []string{"interview_date=err.interview_date.far"}},
		{"the hour skipped in spring does not exist", func(f *onboarding.InterviewForm) { f.Date = "29/03/2026"; f.Time = "02:30" },
			[]string{"interview_time=err.interview_time.nonexistent"}},
		{"a duration has bounds", func(f *onboarding.InterviewForm) { f.Duration = "10" }, []string{"interview_duration=err.interview_duration.range"}},
		{"a duration is a number", func(f *onboarding.InterviewForm) { f.Duration = "une heure" }, []string{"interview_duration=err.number"}},
		{"a mode outside the list is refused", func(f *onboarding.InterviewForm) { f.Mode = "pigeon" }, []string{"interview_mode=err.choice"}},
		{"a video call needs a link", func(f *onboarding.InterviewForm) { f.Link = "" }, []string{"interview_link=err.interview_link.required"}},
		{"a video call needs a web link", func(f *onboarding.InterviewForm) { f.Link = "javascript:alert(1)" }, []string{"interview_link=err.interview_link.invalid"}},
		{"in person needs a place", func(f *onboarding.InterviewForm) { f.Mode = "in_person" }, []string{"interview_place=err.interview_place.required"}},
		{"by phone needs nothing more", func(f *onboarding.InterviewForm) { f.Mode = "phone"; f.Link = "" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			tt.change(&f)
			_, fe := f.Validate(now)
			var got []string
			for _, e := range fe {
				got = append(got, e.Field+"="+e.Key)
			}
			if !slices.Equal(got, tt.errors) {
				t.Errorf("errors = %q, want %q", got, tt.errors)
			}
		})
	}
	t.Run("the slot is the Paris time in UTC", func(t *testing.T) {
		f := valid()
		slot, fe := f.Validate(now)
		if len(fe) > 0 {
			t.Fatal(fe)
		}
		// 14:30 in Paris in March (UTC+1) is 13:30 UTC; in summer (UTC+2), 12:30.
		if want := time.Date(2026, 3, 10, 13, 30, 0, 0, time.UTC); !slot.Start.Equal(want) || slot.Start.Location() != time.UTC {
			t.Errorf("start %v, want %v", slot.Start, want)
		}
		f.Date = "10/07/2026"
		slot, _ = f.Validate(now)
		if want := time.Date(2026, 7, 10, 12, 30, 0, 0, time.UTC); !slot.Start.Equal(want) {
			t.Errorf("summer start %v, want %v", slot.Start, want)
		}
		if slot.Duration != time.Hour || slot.Link != f.Link {
			t.Errorf("slot %+v", slot)
		}
	})
}

func TestScheduleInterview(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	if _, err := f.store.Interview(ctx, a.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("an interview before any was planned: %v", err)
	}
	start := time.Date(2026, 3, 10, 13, 30, 0, 0, time.UTC)
	iv, moved, err := f.store.ScheduleInterview(ctx, a, onboarding.Slot{Start: start, Duration: time.Hour, Mode: "video", Link: "https://v.example/x"}, as("staff@ile.example"))
	if err != nil || moved {
		t.Fatalf("schedule: %v, moved %t", err, moved)
	}
	if a.Status != onboarding.StatusInterviewPlanned || iv.Sequence != 0 || iv.Status != onboarding.InterviewPlanned {
		t.Fatalf("status %s, interview %+v", a.Status, iv)
	}
	t.Run("moving keeps the interview and raises its sequence", func(t *testing.T) {
		later := start.Add(24 * time.Hour)
		again, moved, err := f.store.ScheduleInterview(ctx, a, onboarding.Slot{Start: later, Duration: 90 * time.Minute, Mode: "in_person", Place: "Lyon"}, as("staff@ile.example"))
		if err != nil || !moved {
			t.Fatalf("move: %v, moved %t", err, moved)
		}
		got, err := f.store.Interview(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != iv.ID || got.Sequence != 1 || !got.Start.Equal(later) || got.Minutes() != 90 || got.Place != "Lyon" || got.Link != "" || again.ID != iv.ID {
			t.Errorf("interview after moving: %+v", got)
		}
	})
	t.Run("a stale version is a conflict and changes nothing", func(t *testing.T) {
		stale := *a
		stale.Version--
		_, _, err := f.store.ScheduleInterview(ctx, &stale, onboarding.Slot{Start: start, Duration: time.Hour, Mode: "phone"}, as("x"))
		wantCode(t, err, apperr.Conflict, "")
		got, _ := f.store.Interview(ctx, a.ID)
		if got.Sequence != 1 {
			t.Errorf("sequence %d after a refused move", got.Sequence)
		}
	})
	t.Run("guide notes are kept with the interview", func(t *testing.T) {
		notes := onboarding.GuideNotes{"activity": " Atelier vélo ", "data": "5 Go", "unknown": "dropped"}
		if err := f.store.SaveGuideNotes(ctx, queueAdmin, a.ID, notes); err != nil {
			t.Fatal(err)
		}
		got, _ := f.store.Interview(ctx, a.ID)
		if got.Notes["activity"] != "Atelier vélo" || got.Notes["data"] != "5 Go" || got.Notes["unknown"] != "" {
			t.Errorf("notes %v", got.Notes)
		}
	})
	t.Run("the association asks for another time", func(t *testing.T) {
		wantCode(t, f.store.AskAnotherTime(ctx, a, onboarding.Reschedule{Message: " "}), apperr.Invalid, "err.reschedule_message.required")
		if err := f.store.AskAnotherTime(ctx, a, onboarding.Reschedule{Message: "Plutôt le soir"}); err != nil {
			t.Fatal(err)
		}
		got, _ := f.store.Interview(ctx, a.ID)
		events, _ := f.store.Events(ctx, a.ID, true)
		if got.Status != onboarding.InterviewRescheduleRequested || onboarding.LastDetail(events, "reschedule_requested") != "Plutôt le soir" {
			t.Errorf("interview %+v, events %+v", got, events)
		}
		// Staff then plan another time: planned again.
		fresh, _ := f.store.Get(ctx, a.ID)
		if _, _, err := f.store.ScheduleInterview(ctx, fresh, onboarding.Slot{Start: start, Duration: time.Hour, Mode: "phone"}, as("x")); err != nil {
			t.Fatal(err)
		}
		got, _ = f.store.Interview(ctx, a.ID)
		if got.Status != onboarding.InterviewPlanned || got.Sequence != 2 {
			t.Errorf("after moving again: %+v", got)
		}
	})
	t.Run("no other time can be asked once decided", func(t *testing.T) {
		b := f.submitted("", "other@example.org")
		wantCode(t, f.store.AskAnotherTime(ctx, b, onboarding.Reschedule{Message: "x"}), apperr.Conflict, "err.interview.none")
	})
}
