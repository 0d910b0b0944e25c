package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-co-op/gocron/v2"

	"archipel/database"
	"archipel/rights"
	"archipel/templates"
)

// dailyTask is a task run once a day across every replica: each run is
// claimed in the database first.
type dailyTask struct {
	name         string
	hour, minute uint
	run          func(ctx context.Context) error
}

// startScheduler runs the service's periodic tasks with gocron in
// Europe/Paris time; stop it with Shutdown.
func startScheduler(ctx context.Context, db *database.DB, worker string, logger *slog.Logger, tasks ...dailyTask) (gocron.Scheduler, error) {
	s, err := gocron.NewScheduler(gocron.WithLocation(templates.Paris))
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	for _, t := range tasks {
		_, err := s.NewJob(
			gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(t.hour, t.minute, 0))),
			gocron.NewTask(func() {
				now := time.Now()
				slot := now.In(templates.Paris).Format("2006-01-02")
				ok, err := db.ClaimRun(ctx, t.name, slot, worker, now)
				if err != nil || !ok {
					if err != nil {
						logger.Error("scheduled task: claim", slog.String("task", t.name), slog.Any("err", err))
					}
					return
				}
				if err := t.run(ctx); err != nil {
					logger.Error("scheduled task failed", slog.String("task", t.name), slog.Any("err", err))
				}
			}),
			gocron.WithName(t.name),
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
		)
		if err != nil {
			return nil, fmt.Errorf("scheduler: %s: %w", t.name, err)
		}
	}
	s.Start()
	return s, nil
}

// retentionTask applies the retention declared in rights.Retention, the one
// the privacy page states.
func retentionTask(e *rights.Enforcer) dailyTask {
	return dailyTask{name: "retention", hour: 3, minute: 30, run: func(ctx context.Context) error {
		_, err := e.Run(ctx)
		return err
	}}
}
