package provisioning

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning/nextcloud"
)

// Options tune the engine; zero values take the defaults.
type Options struct {
	Worker      string        // this process's name in claims; hostname-pid-random by default
	PerHost     int           // jobs running at once on one host (2)
	MaxJobs     int           // jobs running at once in this process (8)
	MaxAttempts int           // transient failures of one step before a job needs attention (0: only RetryWindow bounds them)
	BaseBackoff time.Duration // first retry delay, doubled each time, with jitter (2s)
	MaxBackoff  time.Duration // longest retry delay (10m)
	// RetryWindow is how long passing failures in a row are retried, from
	// the first one, before the job needs attention (1h): longer than a
	// Nextcloud upgrade or restart, and than this service's own restart.
	RetryWindow time.Duration
	// MaxRetryAfter caps a host's Retry-After (15m): a host asking for a
	// year does not park a job for a year.
	MaxRetryAfter time.Duration
	Lease         time.Duration // how long a claim lasts without renewal (60s)
	Poll          time.Duration // how often the queue is looked at (2s)
	CallTimeout   time.Duration // bound on one Nextcloud call (30s)
	BaseURL       string        // Archipel's public URL, for the e-mails
	// OnStep, when set, is told how long each step run took and whether it
	// succeeded (metrics).
	OnStep func(step string, ok bool, took time.Duration)
}

func (o *Options) defaults() {
	if o.Worker == "" {
		host, _ := os.Hostname()
		o.Worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.PerHost, 2)
	def(&o.MaxJobs, 8)
	defd(&o.BaseBackoff, 2*time.Second)
	defd(&o.MaxBackoff, 10*time.Minute)
	defd(&o.RetryWindow, time.Hour)
	defd(&o.MaxRetryAfter, 15*time.Minute)
	defd(&o.Lease, 60*time.Second)
	defd(&o.Poll, 2*time.Second)
	defd(&o.CallTimeout, 30*time.Second)
}

// Engine runs provisioning jobs: it claims due jobs in the database, runs
// their steps against the host's Nextcloud, and retries what failed for a
// passing reason.
type Engine struct {
	opts    Options
	db      *database.DB
	Jobs    *Store
	Hosts   *Hosts
	apps    *onboarding.Store
	postman *mail.Postman
	logger  *slog.Logger
	now     func() time.Time

	wake    chan struct{}
	factsMu sync.Mutex
	facts   map[string]hostFacts     // per host: what preflight read
	reading map[string]chan struct{} // per host: a preflight reading now
	mu      sync.Mutex
	running map[string]int // jobs running per host in this process
	total   int
	wg      sync.WaitGroup
}

// NewEngine returns an engine; call Run to start it.
func NewEngine(db *database.DB, hosts *Hosts, apps *onboarding.Store, postman *mail.Postman, logger *slog.Logger, opts Options) *Engine {
	opts.defaults()
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{
		opts: opts, db: db, Jobs: NewStore(db, nil), Hosts: hosts, apps: apps, postman: postman, logger: logger,
		now: time.Now, wake: make(chan struct{}, 1), running: map[string]int{}, facts: map[string]hostFacts{}, reading: map[string]chan struct{}{},
	}
}

// Wake makes the engine look at the queue now rather than at its next poll.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs jobs until ctx ends, then waits for the jobs in
// flight to stop at their next step.
func (e *Engine) Run(ctx context.Context) {
	ticker := time.NewTicker(e.opts.Poll)
	defer ticker.Stop()
	for {
		e.fill(ctx)
		select {
		case <-ctx.Done():
			e.wg.Wait()
			return
		case <-ticker.C:
		case <-e.wake:
		}
	}
}

// RunDue claims and runs due jobs until none is left, then returns: for
// tests, the demo and one-shot commands.
func (e *Engine) RunDue(ctx context.Context) {
	for ctx.Err() == nil {
		if !e.fill(ctx) {
			e.wg.Wait()
			if !e.fill(ctx) {
				return
			}
		}
		e.wg.Wait()
	}
}

// fill starts due jobs while there is room; it reports whether it started any.
func (e *Engine) fill(ctx context.Context) bool {
	started := false
	for ctx.Err() == nil {
		e.mu.Lock()
		if e.total >= e.opts.MaxJobs {
			e.mu.Unlock()
			return started
		}
		var full []string
		for h, n := range e.running {
			if n >= e.opts.PerHost {
				full = append(full, h)
			}
		}
		e.mu.Unlock()
		job, err := e.Jobs.claim(ctx, e.opts.Worker, e.opts.Lease, e.opts.PerHost, full)
		if err != nil {
			e.logger.Error("provisioning: claim", slog.Any("err", err))
			return started
		}
		if job == nil {
			return started
		}
		started = true
		e.mu.Lock()
		e.running[job.HostID]++
		e.total++
		e.mu.Unlock()
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer func() {
				e.mu.Lock()
				e.running[job.HostID]--
				e.total--
				e.mu.Unlock()
				e.Wake() // a slot is free: fill it now, not at the next poll
			}()
			e.process(ctx, job)
		}()
	}
	return started
}

// process runs a claimed job's remaining steps, renewing its lease.
func (e *Engine) process(ctx context.Context, j *Job) {
	log := e.logger.With(slog.String("job", j.ID), slog.String("host", j.HostID), slog.String("request", j.ApplicationID))
	// The service's context ends on shutdown; this job's own also when its
	// lease is lost.
	service := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		t := time.NewTicker(e.opts.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := e.Jobs.extend(ctx, j, e.opts.Worker, e.opts.Lease); err != nil {
					log.Warn("provisioning: lease lost", slog.Any("err", err))
					cancel()
					return
				}
			}
		}
	}()
	r, err := e.newRun(ctx, j)
	if err == nil && j.Kind != KindCleanup {
		err = e.markProvisioning(ctx, j)
	}
	if err != nil {
		if service.Err() != nil {
			e.releaseOnShutdown(service, j, log)
			return
		}
		e.fail(ctx, j, StepPreflight, err, log)
		return
	}
	for _, st := range j.Steps {
		if st.Status == StepStatusDone {
			continue
		}
		if ctx.Err() != nil {
			e.releaseOnShutdown(service, j, log)
			return
		}
		start := time.Now()
		detail, err := r.step(ctx, st.Name)
		if e.opts.OnStep != nil {
			e.opts.OnStep(st.Name, err == nil, time.Since(start))
		}
		if err != nil {
			if service.Err() != nil {
				// Interrupted by the shutdown, not failed.
				e.releaseOnShutdown(service, j, log)
				return
			}
			e.fail(ctx, j, st.Name, err, log)
			return
		}
		if err := e.Jobs.stepDone(ctx, j, e.opts.Worker, st.Name, detail); err != nil {
			if !errors.Is(err, errLostClaim) {
				log.Error("provisioning: record step", slog.String("step", st.Name), slog.Any("err", err))
			}
			return
		}
		log.Debug("provisioning: step done", slog.String("step", st.Name), slog.String("detail", detail))
	}
	if j.Kind == KindCleanup {
		if err := e.Jobs.cleanupSucceeded(ctx, j, e.opts.Worker); err != nil && !errors.Is(err, errLostClaim) {
			log.Error("provisioning: finish clean-up", slog.Any("err", err))
			return
		}
		log.Info("provisioning: workspace deleted")
		return
	}
	if err := e.Jobs.succeed(ctx, j, e.opts.Worker); err != nil && !errors.Is(err, errLostClaim) {
		log.Error("provisioning: finish", slog.Any("err", err))
		return
	}
	log.Info("provisioning: workspace ready", slog.String("group", j.State.GroupID), slog.String("account", j.State.UserID))
}

// releaseOnShutdown hands a job back to the queue when the service stops,
// so that the next start or another replica takes it at once rather than
// after its lease.
func (e *Engine) releaseOnShutdown(service context.Context, j *Job, log *slog.Logger) {
	if service.Err() == nil {
		return // lease lost: nothing of ours to give back
	}
	ctx := service
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.Jobs.release(rctx, j, e.opts.Worker); err != nil && !errors.Is(err, errLostClaim) {
		log.Warn("provisioning: release claim on shutdown", slog.Any("err", err))
		return
	}
	log.Info("provisioning: claim released on shutdown")
}

func (e *Engine) markProvisioning(ctx context.Context, j *Job) error {
	app, err := e.apps.Get(ctx, j.ApplicationID)
	if err != nil {
		return err
	}
	if app.Status == onboarding.StatusApproved {
		err := e.apps.Transition(ctx, nil, app, onboarding.StatusProvisioning, "", "")
		if err != nil && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
	}
	return nil
}

// fail records a step's failure: a passing one is retried later with
// backoff while the retry window lasts; a permanent one stops the job at
// once. A job that stops for a passing failure needs attention: the host's
// staff are told.
func (e *Engine) fail(ctx context.Context, j *Job, step string, err error, log *slog.Logger) {
	if errors.Is(err, errLostClaim) || (ctx.Err() != nil && errors.Is(err, context.Canceled)) {
		return
	}
	e.forgetFacts(j.HostID)
	kind := Classify(err)
	attempts := 0
	for _, st := range j.Steps {
		if st.Name == step {
			attempts = st.Attempts
		}
	}
	now := e.now()
	status, next := JobFailed, now
	if kind.Transient {
		status, next = e.retryAt(j, attempts, kind.RetryAfter, now)
	}
	detail := err.Error()
	if len(detail) > 1000 {
		detail = detail[:1000]
	}
	log.Warn("provisioning: step failed", slog.String("step", step), slog.String("status", string(status)),
		slog.String("reason", kind.Key), slog.Any("err", err))
	bg := context.WithoutCancel(ctx)
	if err := e.Jobs.stepFailed(bg, j, e.opts.Worker, step, status, now, next, kind.Key, detail); err != nil {
		if !errors.Is(err, errLostClaim) {
			log.Error("provisioning: record failure", slog.Any("err", err))
		}
		return
	}
	switch status {
	case JobRetry:
		time.AfterFunc(time.Until(next), e.Wake)
	case JobNeedsAttention:
		e.tellStaff(bg, j, kind.Key, log)
	}
}

// retryAt decides what follows a passing failure: a retry after the
// backoff (or the host's Retry-After, capped), no later than the end of the
// retry window; once the window is over, the job needs attention.
func (e *Engine) retryAt(j *Job, attempts int, retryAfter time.Duration, now time.Time) (JobStatus, time.Time) {
	since := j.FailingSince
	if since.IsZero() || since.After(now) {
		since = now
	}
	end := since.Add(e.opts.RetryWindow)
	if !now.Before(end) || (e.opts.MaxAttempts > 0 && attempts+1 >= e.opts.MaxAttempts) {
		return JobNeedsAttention, now
	}
	delay := max(e.backoff(attempts), min(retryAfter, e.opts.MaxRetryAfter))
	next := now.Add(delay)
	if next.After(end) {
		next = end // one last try when the window closes
	}
	return JobRetry, next
}

// backoff is the delay before the retry following n failures: exponential,
// capped, with jitter so that jobs failing together do not retry together.
func (e *Engine) backoff(n int) time.Duration {
	d := e.opts.BaseBackoff << min(n, 20)
	if d <= 0 || d > e.opts.MaxBackoff {
		d = e.opts.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// Failure says how a failure should be handled and shown.
type Failure struct {
	Transient  bool
	Key        string // message ID in plain words for staff
	RetryAfter time.Duration
}

// Classify sorts an error into a passing or permanent failure with a
// message key.
func Classify(err error) Failure {
	var ne *nextcloud.Error
	switch {
	case errors.As(err, &ne) && ne.Maintenance:
		return Failure{true, "prov.error.maintenance", ne.RetryAfter}
	case errors.Is(err, nextcloud.ErrThrottled):
		return Failure{true, "nc34.error.throttled", nextcloud.RetryAfter(err)}
	case errors.Is(err, nextcloud.ErrConfirmationRequired):
		return Failure{false, "nc34.error.confirmation", 0}
	case errors.Is(err, nextcloud.ErrUnavailable):
		return Failure{true, "prov.error.unavailable", nextcloud.RetryAfter(err)}
	case errors.Is(err, context.DeadlineExceeded):
		return Failure{true, "prov.error.unavailable", 0}
	case errors.Is(err, nextcloud.ErrUnauthorized):
		return Failure{false, "prov.error.unauthorized", 0}
	case errors.Is(err, nextcloud.ErrForbidden):
		return Failure{false, "prov.error.forbidden", 0}
	case errors.Is(err, nextcloud.ErrQuota):
		return Failure{false, "prov.error.quota", 0}
	case errors.Is(err, nextcloud.ErrInvalid):
		return Failure{false, "prov.error.invalid", 0}
	case errors.Is(err, nextcloud.ErrNotFound):
		return Failure{false, "prov.error.not_found", 0}
	case errors.Is(err, nextcloud.ErrAlreadyExists):
		return Failure{false, "prov.error.conflict", 0}
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		if strings.HasPrefix(ae.Key, "prov.") {
			return Failure{ae.Code == apperr.Unavailable, ae.Key, 0}
		}
		if ae.Code == apperr.Internal || ae.Code == apperr.Unavailable {
			return Failure{true, "prov.error.internal", 0}
		}
	}
	return Failure{false, "prov.error.internal", 0}
}

// Approve decides a request and starts its provisioning, in one
// transaction: a double click or two staff at once end with one decision
// and one job; the one who lost the race gets a conflict.
// then (the audit line, the association's e-mail), given the job's id, commits
// in the same transaction: all of it or nothing. Not found for an actor
// who may not decide on the request (onboarding.DecidesOn).
func (e *Engine) Approve(ctx context.Context, app *onboarding.Application, h *Host, opts PlanOptions, actor *accounts.User, then ...func(jobID string) database.Then) (string, error) {
	plan, err := NewPlan(app, h, opts)
	if err != nil {
		return "", apperr.Wrap(apperr.Invalid, "prov.error.plan", "provisioning: approve", err)
	}
	var jobID string
	before := *app
	err = e.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := onboarding.DecidesOn(ctx, tx, actor, app.ID); err != nil {
			return err
		}
		if err := e.apps.Transition(ctx, tx, app, onboarding.StatusApproved, actor.Email, ""); err != nil {
			return err
		}
		id, _, err := e.Jobs.Enqueue(ctx, tx, plan)
		if err != nil {
			return err
		}
		jobID = id
		for _, fn := range then {
			if err := database.RunThen(tx, []database.Then{fn(id)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		*app = before // nothing was kept
		return "", err
	}
	e.Wake()
	return jobID, nil
}

// Worker is this process's name in claims.
func (e *Engine) Worker() string { return e.opts.Worker }

// hostFactsTTL is how long what preflight read of a host is trusted: an
// upgrade or an app disabled is noticed within that time, and at once when
// a job on that host fails.
const hostFactsTTL = 10 * time.Minute

// lockFacts makes the jobs of one host read its facts one at a time, so
// that jobs starting together share one reading; it returns the unlock.
func (e *Engine) lockFacts(hostID string) func() {
	for {
		e.factsMu.Lock()
		ch, busy := e.reading[hostID]
		if !busy {
			ch = make(chan struct{})
			e.reading[hostID] = ch
			e.factsMu.Unlock()
			return func() {
				e.factsMu.Lock()
				delete(e.reading, hostID)
				e.factsMu.Unlock()
				close(ch)
			}
		}
		e.factsMu.Unlock()
		<-ch
	}
}

func (e *Engine) cachedFacts(hostID, conn string) (hostFacts, bool) {
	e.factsMu.Lock()
	defer e.factsMu.Unlock()
	f, ok := e.facts[hostID]
	return f, ok && f.conn == conn && e.now().Sub(f.at) < hostFactsTTL
}

func (e *Engine) rememberFacts(hostID string, f hostFacts) {
	e.factsMu.Lock()
	defer e.factsMu.Unlock()
	e.facts[hostID] = f
}

func (e *Engine) forgetFacts(hostID string) {
	e.factsMu.Lock()
	defer e.factsMu.Unlock()
	delete(e.facts, hostID)
}
