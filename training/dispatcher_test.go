package training

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/privlink"
)

// scheduled drives a dispatcher's tick directly with the fake clock: what
// a tick does is tested without the scheduler's timing in between (under
// gocron a fake clock moved while the single-run limit is held makes ticks
// race); TestTheDispatcherTicksUnderTheScheduler checks the wiring.
type scheduled struct {
	e *env
	d *Dispatcher
}

func (e *env) schedule(s *Store, worker string) *scheduled {
	e.t.Helper()
	return &scheduled{e: e, d: e.dispatcher(s, worker, DispatcherOptions{})}
}

// advance moves the clock by d and returns what the tick then does.
func (sc *scheduled) advance(d time.Duration) TickResult {
	sc.e.t.Helper()
	sc.e.clock.Advance(d)
	return sc.e.tick(sc.d)
}

// advanceTo moves the clock to at and ticks.
func (sc *scheduled) advanceTo(at time.Time) TickResult {
	sc.e.t.Helper()
	return sc.advance(at.Sub(sc.e.clock.Now()))
}

func TestTheDispatcherTicksUnderTheScheduler(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7")
	e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example"})
	ticks := make(chan TickResult, 1)
	d := e.dispatcher(e.store, "replica-a", DispatcherOptions{OnTick: func(r TickResult, err error) {
		if err != nil {
			t.Errorf("tick: %v", err)
		}
		select {
		case ticks <- r:
		default: // only the first tick is looked at
		}
	}})
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Shutdown() })
	wait, stop := context.WithTimeout(e.ctx, 30*time.Second)
	defer stop()
	if err := e.clock.BlockUntilContext(wait, 1); err != nil {
		t.Fatalf("the scheduler never waited for its first run: %v", err)
	}
	e.clock.Advance(d.opts.Interval)
	select {
	case r := <-ticks:
		if r.Opened != 1 {
			t.Errorf("first scheduled tick = %+v, want the case opened", r)
		}
	case <-wait.Done():
		t.Fatal("no tick once the interval passed")
	}
}

func TestSchedulerSendsEachCheckinAtItsTimeExactlyOnce(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7,30")
	app := e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example", goals: "Partager les agendas"})
	sc := e.schedule(e.store, "replica-a")

	t.Run("the first tick opens the case with its goals, and sends nothing", func(t *testing.T) {
		r := sc.advance(time.Minute)
		if r.Opened != 1 || r.Sent != 0 {
			t.Fatalf("tick = %+v", r)
		}
		c := e.caseOf(app)
		if c.Goals != "Partager les agendas" || c.Stage != StageWelcome || c.Town != "Lyon" {
			t.Errorf("case = %+v", c)
		}
		if got := e.statuses(c.ID); !slices.Equal(got, []CheckinStatus{CheckinScheduled, CheckinScheduled}) {
			t.Errorf("check-ins %v", got)
		}
	})
	t.Run("a minute before the 7th day nothing goes out", func(t *testing.T) {
		if r := sc.advanceTo(t0.Add(7*day - time.Minute)); r.Sent != 0 {
			t.Fatalf("tick = %+v", r)
		}
	})
	t.Run("on the 7th day the first check-in goes out with a private link", func(t *testing.T) {
		if r := sc.advance(time.Minute); r.Sent != 1 {
			t.Fatalf("tick = %+v", r)
		}
		msgs := e.mails.to("anne@velo.example")
		if len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
		token := linkIn(t, msgs[0])
		k, c, err := e.store.CheckinByToken(e.ctx, token)
		if err != nil || k.OffsetDays != 7 || k.Status != CheckinSent || c.Association != "Les Amis du Vélo" {
			t.Errorf("link opens %+v, %v", k, err)
		}
		var hash string
		if err := e.db.QueryRowContext(e.ctx, `SELECT token_hash FROM checkins WHERE id = $1`, k.ID).Scan(&hash); err != nil || hash == token || hash != privlink.Hash(token) {
			t.Errorf("stored %q for the link: only its hash may be kept", hash)
		}
	})
	t.Run("later ticks send it no more", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if r := sc.advance(time.Minute); r.Sent != 0 {
				t.Fatalf("tick = %+v", r)
			}
		}
		if n := len(e.mails.to("anne@velo.example")); n != 1 {
			t.Errorf("%d messages", n)
		}
	})
	t.Run("the 30-day check-in goes out on its day", func(t *testing.T) {
		// Answer the first one, so that no reminder gets in the way.
		if _, _, err := e.store.AnswerCheckin(e.ctx, linkIn(t, e.mails.to("anne@velo.example")[0]), CheckinAnswer{Rating: "4"}); err != nil {
			t.Fatal(err)
		}
		if r := sc.advanceTo(t0.Add(30*day - time.Minute)); r.Sent != 0 {
			t.Fatalf("tick = %+v", r)
		}
		if r := sc.advance(time.Minute); r.Sent != 1 {
			t.Fatalf("tick = %+v", r)
		}
		if got := e.statuses(e.caseOf(app).ID); !slices.Equal(got, []CheckinStatus{CheckinAnswered, CheckinSent}) {
			t.Errorf("check-ins %v", got)
		}
	})
}

func TestACrashLosesNoCheckinAndSendsNoneTwice(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7")
	for _, w := range []workspace{
		{host: "h1", name: "Asso Une", email: "une@asso.example"},
		{host: "h1", name: "Asso Deux", email: "deux@asso.example"},
		{host: "h1", name: "Asso Trois", email: "trois@asso.example"},
	} {
		e.seedWorkspace(w)
	}
	first := e.schedule(e.store, "replica-a")
	first.advance(time.Minute) // opens the cases

	// Seven days later the first process dies while sending one check-in:
	// its transaction never commits.
	e.clock.Advance(7 * day)
	crash := errors.New("killed")
	if _, err := e.store.sendDue(e.ctx, "deadbeef", func(*sql.Tx, *CheckIn) error { return crash }); !errors.Is(err, crash) {
		t.Fatalf("send: %v", err)
	}

	// A new process, with its own store and dispatcher, on the same database.
	second := e.schedule(e.newStore(), "replica-b")
	t.Run("the new process sends every due check-in, the crashed one too", func(t *testing.T) {
		if r := second.advance(time.Minute); r.Sent != 3 {
			t.Fatalf("tick = %+v", r)
		}
	})
	t.Run("every association got exactly one check-in", func(t *testing.T) {
		second.advance(time.Minute)
		for _, addr := range []string{"une@asso.example", "deux@asso.example", "trois@asso.example"} {
			if n := len(e.mails.to(addr)); n != 1 {
				t.Errorf("%s got %d check-ins", addr, n)
			}
		}
	})
}

func TestACheckinLeftSendingByAnOlderVersionGoesOnceItsLeaseIsOver(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7")
	app := e.seedWorkspace(workspace{host: "h1", name: "Asso Une", email: "une@asso.example"})
	d := e.dispatcher(e.store, "replica-a", DispatcherOptions{})
	e.tick(d)
	e.clock.Advance(7 * day)
	e.exec(`UPDATE checkins SET status = 'sending', claimed_by = 'old', lease_until = $1`, e.clock.Now().Add(time.Minute).UTC())
	if r := e.tick(d); r.Sent != 0 {
		t.Fatalf("sent under a live lease: %+v", r)
	}
	e.clock.Advance(2 * time.Minute)
	if r := e.tick(d); r.Sent != 1 {
		t.Fatalf("tick = %+v", r)
	}
	if got := e.statuses(e.caseOf(app).ID); !slices.Equal(got, []CheckinStatus{CheckinSent}) {
		t.Errorf("check-ins %v", got)
	}
}

func TestTwoDispatchersRacingSendEachCheckinOnce(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7,30")
	const n = 12
	for i := 0; i < n; i++ {
		e.seedWorkspace(workspace{host: "h1", name: "Asso " + string(rune('A'+i)), email: string(rune('a'+i)) + "@asso.example"})
	}
	a := e.dispatcher(e.store, "replica-a", DispatcherOptions{})
	b := e.dispatcher(e.newStore(), "replica-b", DispatcherOptions{})
	race := func() TickResult {
		var wg sync.WaitGroup
		results := make([]TickResult, 2)
		for i, d := range []*Dispatcher{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := d.Tick(e.ctx)
				if err != nil {
					t.Errorf("tick: %v", err)
				}
				results[i] = r
			}()
		}
		wg.Wait()
		return TickResult{Opened: results[0].Opened + results[1].Opened, Sent: results[0].Sent + results[1].Sent}
	}
	if r := race(); r.Opened != n {
		t.Fatalf("opened %d cases, want %d", r.Opened, n)
	}
	e.clock.Advance(7 * day)
	sent := 0
	for i := 0; i < 5; i++ {
		sent += race().Sent
	}
	if sent != n {
		t.Errorf("sent %d check-ins, want %d", sent, n)
	}
	if got := e.mails.count(); got != n {
		t.Errorf("%d messages, want %d", got, n)
	}
	for i := 0; i < n; i++ {
		if got := len(e.mails.to(string(rune('a'+i)) + "@asso.example")); got != 1 {
			t.Errorf("association %d got %d check-ins", i, got)
		}
	}
}

func TestRemindersExpiryAndFlags(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7,30")
	app := e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example"})
	d := e.dispatcher(e.store, "replica-a", DispatcherOptions{})
	e.tick(d)
	c := e.caseOf(app)
	e.clock.Advance(7 * day)
	if r := e.tick(d); r.Sent != 1 {
		t.Fatalf("tick = %+v", r)
	}
	first := linkIn(t, e.mails.to("anne@velo.example")[0])

	t.Run("no reminder before five days", func(t *testing.T) {
		e.clock.Advance(5*day - time.Minute)
		if r := e.tick(d); r.Reminded != 0 {
			t.Fatalf("tick = %+v", r)
		}
	})
	var second string
	t.Run("one reminder after five days, whose link replaces the first", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		if r := e.tick(d); r.Reminded != 1 {
			t.Fatalf("tick = %+v", r)
		}
		if r := e.tick(d); r.Reminded != 0 {
			t.Fatalf("a second reminder: %+v", r)
		}
		msgs := e.mails.to("anne@velo.example")
		if len(msgs) != 2 || msgs[1].Subject == msgs[0].Subject {
			t.Fatalf("messages %+v", msgs)
		}
		second = linkIn(t, msgs[1])
		if _, _, err := e.store.CheckinByToken(e.ctx, first); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("the first link still opens: %v", err)
		}
		if k, _, err := e.store.CheckinByToken(e.ctx, second); err != nil || k.Status != CheckinReminded {
			t.Errorf("the reminder's link: %+v, %v", k, err)
		}
	})
	t.Run("without an answer five days later the check-in closes and the case is flagged", func(t *testing.T) {
		e.clock.Advance(5*day - time.Minute)
		if r := e.tick(d); r.Expired != 0 {
			t.Fatalf("tick = %+v", r)
		}
		e.clock.Advance(time.Minute)
		if r := e.tick(d); r.Expired != 1 {
			t.Fatalf("tick = %+v", r)
		}
		flags, err := e.store.CaseFlags(e.ctx, c.ID)
		if err != nil || len(flags) != 1 || flags[0].Flag != FlagCheckinUnanswered {
			t.Errorf("flags %+v, %v", flags, err)
		}
		_, _, err = e.store.AnswerCheckin(e.ctx, second, CheckinAnswer{Rating: "3"})
		if apperr.CodeOf(err) != apperr.Conflict || apperr.KeyOf(err) != "checkin.closed.expired" {
			t.Errorf("answer to an expired check-in: %v", err)
		}
	})
	t.Run("an answer to the next check-in lifts the flag", func(t *testing.T) {
		e.clock.Advance(30*day - 17*day)
		if r := e.tick(d); r.Sent != 1 {
			t.Fatalf("tick = %+v", r)
		}
		msgs := e.mails.to("anne@velo.example")
		if _, _, err := e.store.AnswerCheckin(e.ctx, linkIn(t, msgs[len(msgs)-1]), CheckinAnswer{Rating: "5", Help: []string{"training"}}); err != nil {
			t.Fatal(err)
		}
		if flags, _ := e.store.CaseFlags(e.ctx, c.ID); len(flags) != 0 {
			t.Errorf("flags %+v", flags)
		}
		e.clock.Advance(6 * day)
		if r := e.tick(d); r.Reminded != 0 {
			t.Errorf("an answered check-in was reminded: %+v", r)
		}
	})
}

func TestStoppedAndClosedCasesGetNoMoreCheckins(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7,30,90")
	stopApp := e.seedWorkspace(workspace{host: "h1", name: "Asso Stop", email: "stop@asso.example"})
	closeApp := e.seedWorkspace(workspace{host: "h1", name: "Asso Close", email: "close@asso.example"})
	d := e.dispatcher(e.store, "replica-a", DispatcherOptions{})
	e.tick(d)
	e.clock.Advance(7 * day)
	if r := e.tick(d); r.Sent != 2 {
		t.Fatalf("tick = %+v", r)
	}
	token := linkIn(t, e.mails.to("stop@asso.example")[0])
	if _, err := e.store.StopCheckins(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.StopCheckins(e.ctx, token); err != nil {
		t.Errorf("stopping twice: %v", err)
	}
	c := e.caseOf(closeApp)
	if err := e.store.Close(e.ctx, testAdmin, c, OutcomeDropped, "Plus de bénévoles"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(90 * day)
	if r := e.tick(d); r.Sent != 0 || r.Reminded != 0 {
		t.Errorf("tick = %+v", r)
	}
	for _, app := range []string{stopApp, closeApp} {
		for _, st := range e.statuses(e.caseOf(app).ID) {
			if st != CheckinStopped {
				t.Errorf("check-ins %v", e.statuses(e.caseOf(app).ID))
				break
			}
		}
	}
	_, _, err := e.store.AnswerCheckin(e.ctx, token, CheckinAnswer{Rating: "2"})
	if apperr.KeyOf(err) != "checkin.closed.stopped" {
		t.Errorf("answer after stopping: %v", err)
	}
	_, _, err = e.store.AnswerCheckin(e.ctx, linkIn(t, e.mails.to("close@asso.example")[0]), CheckinAnswer{Rating: "2"})
	if apperr.KeyOf(err) != "checkin.closed.case_closed" {
		t.Errorf("answer after closing: %v", err)
	}
}

func TestACheckinWaitsInTheOutboxWhileTheMailServerFails(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7")
	app := e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example"})
	d := e.dispatcher(e.store, "replica-a", DispatcherOptions{})
	e.tick(d)
	e.clock.Advance(7 * day)
	e.mails.setFail(true)
	if r, err := d.Tick(e.ctx); err != nil || r.Sent != 1 {
		t.Fatalf("tick = %+v, %v", r, err)
	}
	if n := len(e.mails.to("anne@velo.example")); n != 0 {
		t.Fatalf("%d messages through a failing server", n)
	}
	if got := e.statuses(e.caseOf(app).ID); !slices.Equal(got, []CheckinStatus{CheckinSent}) {
		t.Fatalf("check-ins %v", got)
	}
	e.mails.setFail(false)
	if n := len(e.mails.to("anne@velo.example")); n != 1 {
		t.Errorf("%d messages once the server answers, want 1", n)
	}
	if r := e.tick(d); r.Sent != 0 {
		t.Errorf("sent again: %+v", r)
	}
}

func TestAdvanceMakesTimePassInTheDemoOnly(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7")
	e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example"})
	d := e.dispatcher(e.store, "replica-a", DispatcherOptions{})
	e.tick(d)
	if _, err := e.store.Advance(e.ctx, testAdmin, 7*day); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("Advance outside the demo: %v", err)
	}
	e.store.EnableDemo()
	if _, err := e.store.Advance(e.ctx, testAdmin, 0); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("Advance by nothing: %v", err)
	}
	if _, err := e.store.Advance(e.ctx, &accounts.User{ID: "s", Role: accounts.RoleStaff, HostID: "h1"}, 7*day); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Advance by a host's staff: %v", err)
	}
	// A failing audit write keeps every date as it was.
	audit := accounts.NewStore(e.db, nil)
	gone, cancel := context.WithCancel(e.ctx)
	cancel()
	if _, err := e.store.Advance(e.ctx, testAdmin, 7*day, func(int) database.Then {
		return audit.RecordIn(gone, testAdmin, accounts.ActionDemoAdvance, "", "", "")
	}); err == nil {
		t.Fatal("advanced without its audit line")
	}
	if r := e.tick(d); r.Sent != 0 {
		t.Errorf("a refused advance moved the dates: tick = %+v", r)
	}
	if n, err := e.store.Advance(e.ctx, testAdmin, 7*day, func(int) database.Then {
		return audit.RecordIn(e.ctx, testAdmin, accounts.ActionDemoAdvance, "", "", "")
	}); err != nil || n != 1 {
		t.Fatalf("Advance = %d, %v", n, err)
	}
	if r := e.tick(d); r.Sent != 1 {
		t.Errorf("tick = %+v", r)
	}
	if n, err := e.store.Advance(e.ctx, testAdmin, 5*day); err != nil || n != 1 {
		t.Fatalf("Advance = %d, %v", n, err)
	}
	if r := e.tick(d); r.Reminded != 1 {
		t.Errorf("tick = %+v", r)
	}
}
