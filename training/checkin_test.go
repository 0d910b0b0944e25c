package training

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"archipel/apperr"
	"archipel/privlink"
)

// sentCheckin opens a case and sends its first check-in; it returns the
// case and the check-in's link token.
func sentCheckin(t *testing.T, e *env) (*Case, string) {
	t.Helper()
	e.seedHost("h1", "L'Île numérique", "7,30")
	app := e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example"})
	d := e.dispatcher(e.store, "a", DispatcherOptions{})
	e.tick(d)
	e.clock.Advance(7 * day)
	if r := e.tick(d); r.Sent != 1 {
		t.Fatalf("tick = %+v", r)
	}
	return e.caseOf(app), linkIn(t, e.mails.to("anne@velo.example")[0])
}

func TestCheckinLinks(t *testing.T) {
	e := newEnv(t)
	c, token := sentCheckin(t, e)
	guessed, _ := privlink.New()
	tests := []struct {
		name  string
		token string
	}{
		{"a guessed link", guessed},
		{"a link one character off", token[:42] + map[bool]string{true: "B", false: "A"}[token[42] == 'A']},
		{"a truncated link", token[:20]},
		{"an empty link", ""},
		{"a link with a path in it", "../" + token[3:]},
	}
	for _, tt := range tests {
		t.Run(tt.name+" opens nothing, like any other", func(t *testing.T) {
			_, _, err := e.store.CheckinByToken(e.ctx, tt.token)
			if !errors.Is(err, apperr.ErrNotFound) || apperr.KeyOf(err) != "err.checkin.unknown" {
				t.Errorf("CheckinByToken = %v", err)
			}
			if _, _, err := e.store.AnswerCheckin(e.ctx, tt.token, CheckinAnswer{Rating: "5"}); apperr.KeyOf(err) != "err.checkin.unknown" {
				t.Errorf("AnswerCheckin = %v", err)
			}
			if _, err := e.store.StopCheckins(e.ctx, tt.token); apperr.KeyOf(err) != "err.checkin.unknown" {
				t.Errorf("StopCheckins = %v", err)
			}
		})
	}
	t.Run("an invalid answer is refused and records nothing", func(t *testing.T) {
		for _, a := range []CheckinAnswer{{Rating: ""}, {Rating: "0"}, {Rating: "6"}, {Rating: "x"}, {Rating: "3", Help: []string{"money"}},
			{Rating: "3", Works: strings.Repeat("é", 2001)}} {
			if _, _, err := e.store.AnswerCheckin(e.ctx, token, a); !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("AnswerCheckin(%+v) = %v", a, err)
			}
		}
		if k, _, _ := e.store.CheckinByToken(e.ctx, token); k.Status != CheckinSent {
			t.Errorf("status %s", k.Status)
		}
	})
	t.Run("the same answer sent twice at once is recorded once", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = e.store.AnswerCheckin(e.ctx, token, CheckinAnswer{Rating: "4", Works: "Les agendas", Help: []string{"help", "training"}})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.KeyOf(err) != "checkin.closed.answered":
				t.Errorf("answer: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d answers recorded", ok)
		}
		ks, _ := e.store.Checkins(e.ctx, c.ID)
		k := ks[0]
		if k.Status != CheckinAnswered || k.Rating != 4 || k.Works != "Les agendas" || !k.WantsHelp || !k.WantsTraining || !k.AnsweredAt.Equal(e.clock.Now()) {
			t.Errorf("check-in %+v", k)
		}
	})
	t.Run("a reused link says it was answered", func(t *testing.T) {
		k, cs, err := e.store.CheckinByToken(e.ctx, token)
		if err != nil || ClosedKey(k, cs) != "checkin.closed.answered" {
			t.Errorf("ClosedKey = %q, %v", ClosedKey(k, cs), err)
		}
	})
	t.Run("the answer goes to the case's trainers, or its host's staff", func(t *testing.T) {
		e.staff("boss", "h1", "staff", "Bea")
		e.staff("cam", "h1", "trainer", "Camille")
		e.staff("other", "", "admin", "Alix")
		people, err := e.store.Recipients(e.ctx, c)
		if err != nil || len(people) != 1 || people[0].ID != "boss" {
			t.Errorf("without trainers: %+v, %v", people, err)
		}
		if err := e.store.AssignTrainers(e.ctx, testAdmin, c, []string{"cam"}); err != nil {
			t.Fatal(err)
		}
		people, err = e.store.Recipients(e.ctx, c)
		if err != nil || len(people) != 1 || people[0].ID != "cam" {
			t.Errorf("with a trainer: %+v, %v", people, err)
		}
	})
}

func TestAssignTrainersOnlyFromTheHost(t *testing.T) {
	e := newEnv(t)
	c, _ := sentCheckin(t, e)
	e.seedHost("h2", "Atoll libre", "")
	e.staff("cam", "h1", "trainer", "Camille")
	e.staff("bea", "h1", "staff", "Bea")
	e.staff("far", "h2", "trainer", "Far")
	e.staff("alix", "", "admin", "Alix")
	for _, ids := range [][]string{{"far"}, {"alix"}, {"cam", "nobody"}} {
		if err := e.store.AssignTrainers(e.ctx, testAdmin, c, ids); apperr.KeyOf(err) != "err.case.trainer" {
			t.Errorf("AssignTrainers(%v) = %v", ids, err)
		}
	}
	if err := e.store.AssignTrainers(e.ctx, testAdmin, c, []string{"cam", "bea", "cam"}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.Get(e.ctx, c.ID)
	if strings.Join(got.TrainerIDs, ",") != "bea,cam" {
		t.Errorf("trainers %v", got.TrainerIDs)
	}
	stale := *got
	if err := e.store.MoveStage(e.ctx, got, StageTraining); err != nil {
		t.Fatal(err)
	}
	if err := e.store.MoveStage(e.ctx, &stale, StageAutonomous); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("a move from a stale page: %v", err)
	}
}
