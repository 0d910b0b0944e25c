package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"archipel/database/dbtest"
	"archipel/templates"
)

func TestADailyTaskRunsOnceADayEvenWhenAReplicaDiesMidRun(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	runs := 0
	task := dailyTask{name: "usage-readings", hour: 6, minute: 15, run: func(context.Context) error { runs++; return nil }}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, templates.Paris)

	runDaily(ctx, db, "a", logger, task, day.Add(6*time.Hour))
	if runs != 0 {
		t.Fatal("ran before its time of day")
	}
	// Replica b claimed the day at 06:15 and died mid-run (no finish).
	if ok, err := db.ClaimRun(ctx, task.name, "2026-11-21", "b", day.Add(6*time.Hour+15*time.Minute), dailyLease); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	runDaily(ctx, db, "a", logger, task, day.Add(6*time.Hour+16*time.Minute))
	if runs != 0 {
		t.Fatal("ran while another replica's claim held")
	}
	runDaily(ctx, db, "a", logger, task, day.Add(6*time.Hour+15*time.Minute+dailyLease+time.Minute))
	if runs != 1 {
		t.Fatalf("%d runs after the dead replica's lease ended, want 1", runs)
	}
	runDaily(ctx, db, "c", logger, task, day.Add(20*time.Hour))
	if runs != 1 {
		t.Fatalf("%d runs: a finished day ran again", runs)
	}
	runDaily(ctx, db, "c", logger, task, day.AddDate(0, 0, 1).Add(7*time.Hour))
	if runs != 2 {
		t.Fatalf("%d runs, want the next day's too", runs)
	}
}
