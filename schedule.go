package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"

	"archipel/database"
	"archipel/rights"
	"archipel/templates"
)

// dailyTask is a task run once a day across every replica: each run is
// claimed in the database first, with a lease renewed while it runs.
type dailyTask struct {
	name         string
	hour, minute uint
	run          func(ctx context.Context) error
}

// Daily runs are claimed for dailyLease and renewed every third of it; a
// replica that dies mid-run leaves the day's run to the next replica that
// looks once the lease ended. Every replica looks every dailyLook after the
// task's time of day, so a replica started late, or one surviving another's
// crash, still runs the day's task.
const (
	dailyLease = 5 * time.Minute
	dailyLook  = 5 * time.Minute
)

// startScheduler runs the service's periodic tasks with gocron in
// Europe/Paris time; stop it with Shutdown. Each task first looks at once;
// settled, when not nil, is called once every first look has ended.
func startScheduler(ctx context.Context, db *database.DB, worker string, logger *slog.Logger, settled func(), tasks ...dailyTask) (gocron.Scheduler, error) {
	s, err := gocron.NewScheduler(gocron.WithLocation(templates.Paris))
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	var first sync.WaitGroup
	first.Add(len(tasks))
	for _, t := range tasks {
		var once sync.Once
		_, err := s.NewJob(
			gocron.DurationJob(dailyLook),
			gocron.NewTask(func() {
				defer once.Do(first.Done)
				runDaily(ctx, db, worker, logger, t, time.Now())
			}),
			gocron.WithName(t.name),
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
			gocron.WithStartAt(gocron.WithStartImmediately()),
		)
		if err != nil {
			return nil, fmt.Errorf("scheduler: %s: %w", t.name, err)
		}
	}
	s.Start()
	if settled != nil {
		go func() {
			first.Wait()
			settled()
		}()
	}
	return s, nil
}

// runDaily runs a daily task if its time of day has come and nobody ran or
// runs today's: claimed with a lease, renewed while it runs, finished.
func runDaily(ctx context.Context, db *database.DB, worker string, logger *slog.Logger, t dailyTask, now time.Time) {
	local := now.In(templates.Paris)
	due := time.Date(local.Year(), local.Month(), local.Day(), int(t.hour), int(t.minute), 0, 0, templates.Paris)
	if local.Before(due) {
		return
	}
	slot := local.Format("2006-01-02")
	ok, err := db.ClaimRun(ctx, t.name, slot, worker, now, dailyLease)
	if err != nil || !ok {
		if err != nil {
			logger.Error("scheduled task: claim", slog.String("task", t.name), slog.Any("err", err))
		}
		return
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(dailyLease / 3)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				if ok, err := db.RenewRun(runCtx, t.name, slot, worker, time.Now().Add(dailyLease)); err == nil && !ok {
					logger.Warn("scheduled task: claim lost", slog.String("task", t.name))
					cancel()
					return
				}
			}
		}
	}()
	err = t.run(runCtx)
	cancel()
	<-renewed
	if err != nil {
		// Unfinished: once the lease ends, the next look runs it again.
		logger.Error("scheduled task failed", slog.String("task", t.name), slog.Any("err", err))
		return
	}
	if err := db.FinishRun(context.WithoutCancel(ctx), t.name, slot, worker, time.Now()); err != nil {
		logger.Error("scheduled task: finish", slog.String("task", t.name), slog.Any("err", err))
	}
}

// retentionTask applies the retention declared in rights.Retention, the one
// the privacy page states.
func retentionTask(e *rights.Enforcer) dailyTask {
	return dailyTask{name: "retention", hour: 3, minute: 30, run: func(ctx context.Context) error {
		_, err := e.Run(ctx)
		return err
	}}
}
