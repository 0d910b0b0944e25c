package mail

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"archipel/database"
)

// The crash test runs a Queue in a child process (this test binary run
// again with -test.run=^TestQueueCrashChild$) on a SQLite file both
// processes open, sending to a slow SMTP server in the parent. The parent
// kills the child with SIGKILL at observed moments and starts another,
// until every message is sent; then it counts what the server received.
const (
	mailCrashDirEnv  = "ARCHIPEL_MAIL_CRASH_DIR"
	mailCrashPortEnv = "ARCHIPEL_MAIL_CRASH_PORT"
	// Environment knobs to measure with other figures than the defaults.
	mailCrashKillsEnv = "ARCHIPEL_MAIL_CRASH_KILLS"
	mailCrashDelayEnv = "ARCHIPEL_MAIL_CRASH_DELAY"
	mailCrashLease    = time.Second
)

// TestQueueCrashChild is the sending process of
// TestQueueKilledWhileSendingDuplicatesAtMostTheMessageInFlight; it only runs as its child.
func TestQueueCrashChild(t *testing.T) {
	dir := os.Getenv(mailCrashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestQueueKilledWhileSendingDuplicatesAtMostTheMessageInFlight")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a child whose parent died does not linger
	defer cancel()
	db, err := database.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	port, _ := strconv.Atoi(os.Getenv(mailCrashPortEnv))
	q := NewQueue(db, smtpTo(t, port), slog.New(slog.DiscardHandler), QueueOptions{
		Lease: mailCrashLease, Poll: 20 * time.Millisecond, FirstRetry: 50 * time.Millisecond,
	})
	q.Run(ctx)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func TestQueueKilledWhileSendingDuplicatesAtMostTheMessageInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	kills := envInt(mailCrashKillsEnv, 8)
	delay := time.Duration(envInt(mailCrashDelayEnv, 200)) * time.Millisecond
	messages := kills + 4
	ctx := context.Background()
	dir := t.TempDir()
	db, err := database.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range messages {
		m := testMessage(i)
		m.ID = fmt.Sprintf("crash-%02d", i)
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return Enqueue(ctx, tx, m) }); err != nil {
			t.Fatal(err)
		}
	}
	srv := startServer(t, &testServer{events: make(chan string, 64), delay: delay})

	start := func() *exec.Cmd {
		for len(srv.events) > 0 {
			<-srv.events
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestQueueCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), mailCrashDirEnv+"="+dir, mailCrashPortEnv+"="+strconv.Itoa(srv.port))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
		})
		return cmd
	}
	waitFor := func(event string) {
		t.Helper()
		timeout := time.After(time.Minute)
		for {
			select {
			case e := <-srv.events:
				if e == event {
					return
				}
			case <-timeout:
				t.Fatalf("the child never reached %q", event)
			}
		}
	}
	inData := 0
	for k := range kills {
		cmd := start()
		// Half the kills land in the worst moment, once the server has the
		// message but has not yet said so; half before the message is given.
		if k%2 == 0 {
			waitFor("data")
			inData++
		} else {
			waitFor("mail")
		}
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
	}
	cmd := start()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var left int
		if err := db.QueryRow(`SELECT COUNT(*) FROM mail_outbox WHERE status <> 'sent'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still unsent after the last restart", left)
		}
		time.Sleep(20 * time.Millisecond) // polling the observed state, not a fixed wait for it
	}
	cmd.Process.Kill()
	cmd.Wait()

	count := map[string]int{}
	for _, r := range srv.received() {
		p, err := parseMessage(bytes.NewReader(r.data))
		if err != nil {
			t.Fatal(err)
		}
		count[p.MessageID]++
	}
	duplicates := 0
	for i := range messages {
		id := fmt.Sprintf("crash-%02d@archipel.test", i)
		if n := count[id]; n == 0 {
			t.Errorf("%s was lost", id)
		} else {
			duplicates += n - 1
		}
	}
	t.Logf("%d messages, %d kills (%d while the server held an unacknowledged message, %v to accept): %d duplicates, each with its original's Message-ID",
		messages, kills, inData, delay, duplicates)
	// A kill aimed before the data may still land after it on a loaded
	// machine: the bound is one duplicate per kill, the message in flight.
	if duplicates > kills {
		t.Errorf("%d duplicates for %d kills, want at most one per kill", duplicates, kills)
	}
}
