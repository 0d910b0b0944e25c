package training

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"archipel/accounts"
	"archipel/mail"
	"archipel/privlink"
)

// DispatcherOptions tune the dispatcher; zero values take the defaults.
type DispatcherOptions struct {
	Worker      string          // this process's name in claims; hostname-pid-random by default
	BaseURL     string          // Archipel's public URL, for the links in e-mails
	Interval    time.Duration   // how often it ticks (1 minute)
	RemindAfter time.Duration   // unanswered this long after sending: one reminder (5 days)
	ExpireAfter time.Duration   // unanswered this long after the reminder: the case is flagged (5 days)
	Batch       int             // check-ins sent (and reminded) per tick at most (200)
	Clock       clockwork.Clock // the scheduler's clock; tests pass a fake one (the Store's clock must agree)
	// Notifier, when set, tells a case's trainers (else its host's staff)
	// that a check-in went unanswered and flagged the case.
	Notifier *accounts.Notifier
	// OnTick, when set, is called after every scheduled tick (tests wait on it).
	OnTick func(TickResult, error)
}

func (o *DispatcherOptions) defaults() {
	if o.Worker == "" {
		host, _ := os.Hostname()
		o.Worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	for _, d := range []struct {
		v *time.Duration
		d time.Duration
	}{{&o.Interval, time.Minute}, {&o.RemindAfter, 5 * day}, {&o.ExpireAfter, 5 * day}} {
		if *d.v <= 0 {
			*d.v = d.d
		}
	}
	if o.Batch <= 0 {
		o.Batch = 200
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
}

// TickResult says what one tick did.
type TickResult struct {
	Opened   int // cases opened for ready workspaces
	Sent     int // check-ins sent
	Reminded int // reminders sent
	Expired  int // check-ins closed unanswered (their cases flagged)
	Stopped  int // check-ins stopped because their case closed or the association asked
}

// Dispatcher opens cases for ready workspaces and sends check-ins and their
// reminders when due, every minute, driven by gocron. Every replica may run
// one: each check-in is marked sent in the transaction that queues its
// e-mail in the outbox.
type Dispatcher struct {
	store   *Store
	postman *mail.Postman
	usage   *UsageReader
	logger  *slog.Logger
	opts    DispatcherOptions
	sched   gocron.Scheduler
}

// NewDispatcher returns a dispatcher; usage may be nil (no reading at each
// check-in), logger too. Call Start to run it, or Tick to run it once.
func NewDispatcher(store *Store, postman *mail.Postman, usage *UsageReader, logger *slog.Logger, opts DispatcherOptions) *Dispatcher {
	opts.defaults()
	if logger == nil {
		logger = slog.Default()
	}
	return &Dispatcher{store: store, postman: postman, usage: usage, logger: logger, opts: opts}
}

// Worker is this dispatcher's name in claims.
func (d *Dispatcher) Worker() string { return d.opts.Worker }

// Start ticks every Interval until ctx ends or Shutdown is called; one tick
// at a time (a tick still running when the next is due makes it wait).
func (d *Dispatcher) Start(ctx context.Context) error {
	s, err := gocron.NewScheduler(gocron.WithClock(d.opts.Clock), gocron.WithLocation(time.UTC), gocron.WithStopTimeout(30*time.Second))
	if err != nil {
		return fmt.Errorf("training: dispatcher: %w", err)
	}
	job, err := s.NewJob(gocron.DurationJob(d.opts.Interval), gocron.NewTask(func() {
		res, err := d.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger.Error("check-in dispatcher", slog.Any("err", err))
		}
		if d.opts.OnTick != nil {
			d.opts.OnTick(res, err)
		}
	}), gocron.WithName("checkin-dispatcher"), gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if err != nil {
		return fmt.Errorf("training: dispatcher: %w", err)
	}
	d.sched = s
	d.store.waker.Store(func() { _ = job.RunNow() })
	s.Start()
	return nil
}

// Shutdown stops the ticks and waits for a running one to end.
func (d *Dispatcher) Shutdown() error {
	if d.sched == nil {
		return nil
	}
	d.store.waker.Store(func() {})
	return d.sched.Shutdown()
}

// Tick does one round: open cases, stop what must stop, send due
// check-ins, remind, expire, then read the usage of the cases just checked
// in. It goes on after a failure and returns every error met.
func (d *Dispatcher) Tick(ctx context.Context) (TickResult, error) {
	var res TickResult
	var errs []error
	var err error
	if res.Opened, err = d.store.OpenCases(ctx); err != nil {
		errs = append(errs, err)
	}
	if res.Stopped, err = d.store.stopStopped(ctx); err != nil {
		errs = append(errs, err)
	}
	var checkedIn []string
	for res.Sent < d.opts.Batch {
		token, hash := privlink.New()
		k, err := d.store.sendDue(ctx, hash, d.queue(ctx, token, false))
		if err != nil {
			// The check-in stays due: the next tick tries again.
			errs = append(errs, err)
			break
		}
		if k == nil {
			break
		}
		res.Sent++
		checkedIn = append(checkedIn, k.CaseID)
	}
	now := d.store.now()
	for res.Reminded < d.opts.Batch {
		token, hash := privlink.New()
		k, err := d.store.remindNext(ctx, now.Add(-d.opts.RemindAfter), hash, d.queue(ctx, token, true))
		if err != nil {
			errs = append(errs, err)
			break
		}
		if k == nil {
			break
		}
		res.Reminded++
	}
	if res.Sent+res.Reminded > 0 {
		d.postman.Wake()
	}
	if res.Expired, err = d.store.expireUnanswered(ctx, now.Add(-d.opts.ExpireAfter), d.flagged(ctx)); err != nil {
		errs = append(errs, err)
	}
	if d.usage != nil {
		for _, id := range checkedIn {
			if _, err := d.usage.ReadCase(ctx, id); err != nil && ctx.Err() == nil {
				errs = append(errs, err)
			}
		}
	}
	if res != (TickResult{}) {
		d.logger.Info("check-in dispatcher", slog.Int("opened", res.Opened), slog.Int("sent", res.Sent),
			slog.Int("reminded", res.Reminded), slog.Int("expired", res.Expired), slog.Int("stopped", res.Stopped))
	}
	return res, errors.Join(errs...)
}

// queue writes a check-in's e-mail (or its reminder), carrying the link
// whose hash the check-in stores, in the transaction that marks it sent.
func (d *Dispatcher) queue(ctx context.Context, token string, reminder bool) Queuer {
	return func(tx *sql.Tx, k *CheckIn) error {
		if d.postman == nil {
			return errors.New("training: no postman to send check-ins")
		}
		c, err := d.store.Get(ctx, k.CaseID)
		if err != nil {
			return err
		}
		link := d.opts.BaseURL + "/bilan/" + token
		err = d.postman.Enqueue(ctx, tx, mail.Letter{Lang: c.Language, Template: "checkin", To: c.ContactEmail, ToName: c.ContactName,
			RequestID: c.ApplicationID,
			Data: map[string]any{"Name": c.Association, "Host": c.HostName, "Link": link, "StopLink": link + "/arreter",
				"Days": k.OffsetDays, "Reminder": reminder}})
		if err != nil {
			return fmt.Errorf("training: queue check-in %s: %w", k.ID, err)
		}
		return nil
	}
}

// flagged tells the case's trainers (else its host's staff) that a check-in
// went unanswered, in the transaction that flags the case.
func (d *Dispatcher) flagged(ctx context.Context) func(tx *sql.Tx, caseID string) error {
	if d.opts.Notifier == nil {
		return nil
	}
	return func(tx *sql.Tx, caseID string) error {
		c, err := d.store.Get(ctx, caseID)
		if err != nil {
			return err
		}
		return d.opts.Notifier.Notify(ctx, tx, accounts.Notice{Kind: accounts.KindCheckin, HostID: c.HostID, Trainers: c.TrainerIDs,
			RequestID: c.ApplicationID, Name: c.Association, Link: d.opts.BaseURL + "/staff/cases/" + c.ID,
			Data: map[string]any{"Key": "checkin_flagged"}})
	}
}
