package server_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"archipel/database"
	"archipel/mail"
)

// testOutbox is the tests' mail: an outbox directory fed by the service's
// queue, which it empties each time a test reads it, as the dispatcher of
// a running service would.
type testOutbox struct {
	*mail.Outbox
	Queue *mail.Queue
}

func newTestOutbox(tb testing.TB, db *database.DB) *testOutbox {
	tb.Helper()
	outbox, err := mail.NewOutbox(filepath.Join(tb.TempDir(), "outbox"), "Archipel <noreply@archipel.test>", slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	return &testOutbox{Outbox: outbox, Queue: mail.NewQueue(db, outbox, slog.New(slog.DiscardHandler), mail.QueueOptions{Worker: "test"})}
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
