package server_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
)

// testOutbox is the tests' mail: an outbox directory fed by the service's
// queue, which it empties each time a test reads it, as the dispatcher of
// a running service would. While Down, the mail server refuses everything.
type testOutbox struct {
	*mail.Outbox
	Queue *mail.Queue
	down  atomic.Bool
	// onSend, when set, is told each handover's template and outcome (the
	// metrics, as main.go wraps the real sender).
	onSend func(tag string, err error)
}

func newTestOutbox(tb testing.TB, db *database.DB) *testOutbox {
	tb.Helper()
	outbox, err := mail.NewOutbox(filepath.Join(tb.TempDir(), "outbox"), "Archipel <noreply@archipel.test>", slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	o := &testOutbox{Outbox: outbox}
	// Retried at once: each reading of the outbox is one delivery round.
	o.Queue = mail.NewQueue(db, downSender{o}, slog.New(slog.DiscardHandler),
		mail.QueueOptions{Worker: "test", FirstRetry: time.Nanosecond, MaxRetry: time.Nanosecond})
	return o
}

// Down makes the mail server refuse (true) or accept (false) messages.
func (o *testOutbox) Down(down bool) { o.down.Store(down) }

type downSender struct{ o *testOutbox }

func (s downSender) Send(ctx context.Context, m mail.Message) error {
	var err error
	if s.o.down.Load() {
		err = apperr.Wrap(apperr.Unavailable, "error.unavailable", "test mail server", errors.New("dial tcp 127.0.0.1:1: connection refused"))
	} else {
		err = s.o.Outbox.Send(ctx, m)
	}
	if s.o.onSend != nil {
		s.o.onSend(m.Tag, err)
	}
	return err
}

// List sends what the queue holds, then lists the messages sent.
func (o *testOutbox) List() ([]string, error) {
	if _, err := o.Queue.DeliverDue(context.Background()); err != nil {
		return nil, err
	}
	return o.Outbox.List()
}

// Postman composes with tpl into the queue.
func (o *testOutbox) Postman(tpl mail.Renderer) *mail.Postman {
	return &mail.Postman{Renderer: tpl, Queue: o.Queue}
}
