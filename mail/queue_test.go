package mail

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"archipel/apperr"
	"archipel/database"
	"archipel/database/dbtest"
)

// clock is a settable time for queue tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func smtpTo(t *testing.T, port int) *SMTP {
	t.Helper()
	s, err := NewSMTP("smtp://127.0.0.1:"+strconv.Itoa(port)+"?tls=none", "Archipel <noreply@archipel.test>")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testMessage(i int) Message {
	return Message{To: fmt.Sprintf("asso%d@example.org", i), Subject: "Votre demande", Text: "Bonjour", Tag: "submitted"}
}

func status(t *testing.T, db *database.DB, messageID string) (st string, attempts int, lastErr string) {
	t.Helper()
	err := db.QueryRow(`SELECT status, attempts, last_error FROM mail_outbox WHERE message_id = $1`, messageID).Scan(&st, &attempts, &lastErr)
	if err != nil {
		t.Fatal(err)
	}
	return st, attempts, lastErr
}

func TestQueueKeepsMessagesWhileTheServerIsDownAndSendsThemLater(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	clk := &clock{t: time.Now().Add(time.Second)}
	port := closedPort(t)
	// The same sender throughout: the server comes up later on the port it names.
	sender := &switchSender{}
	sender.set(smtpTo(t, port))
	q := NewQueue(db, sender, slog.New(slog.DiscardHandler), QueueOptions{Now: clk.Now, FirstRetry: time.Minute})

	m := testMessage(1)
	m.ID = "stable-1"
	if err := q.Post(ctx, m); err != nil {
		t.Fatal(err)
	}
	d, err := q.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Sent != 0 || d.Failed != 1 {
		t.Fatalf("with the server down: %+v, want one failure", d)
	}
	st, attempts, lastErr := status(t, db, "stable-1")
	if st != StatusPending || attempts != 1 || lastErr == "" {
		t.Fatalf("after a refused attempt: status %s, attempts %d, error %q; want pending, 1, a reason", st, attempts, lastErr)
	}
	// Not due again before its backoff.
	if d, _ := q.DeliverDue(ctx); d.Sent+d.Failed != 0 {
		t.Fatalf("retried before its backoff: %+v", d)
	}

	srv := startTestServer(t)
	sender.set(smtpTo(t, srv.port))
	clk.Add(2 * time.Minute)
	if d, err := q.DeliverDue(ctx); err != nil || d.Sent != 1 {
		t.Fatalf("once the server is back: %+v, %v; want one sent", d, err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	p, err := parseMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if p.MessageID != "stable-1@archipel.test" || p.To != "asso1@example.org" {
		t.Errorf("received Message-ID %q to %q, want stable-1@archipel.test to asso1@example.org", p.MessageID, p.To)
	}
	var text string
	if err := db.QueryRow(`SELECT text_body FROM mail_outbox WHERE message_id = 'stable-1'`).Scan(&text); err != nil || text != "" {
		t.Errorf("the sent message's body is kept (%q, %v); it may hold a private link", text, err)
	}
}

func TestQueueShowsAMessageThatKeepsFailingAndAnAdministratorRetriesIt(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	clk := &clock{t: time.Now().Add(time.Second)}
	sender := &switchSender{}
	sender.set(smtpTo(t, closedPort(t)))
	q := NewQueue(db, sender, slog.New(slog.DiscardHandler), QueueOptions{Now: clk.Now, MaxAttempts: 4, FirstRetry: time.Minute, MaxRetry: time.Hour})
	m := testMessage(2)
	m.ID = "stable-2"
	if err := q.Post(ctx, m); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		if d, err := q.DeliverDue(ctx); err != nil || d.Failed != 1 {
			t.Fatalf("attempt %d: %+v, %v", i, d, err)
		}
		failing, err := q.Failing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if shown := len(failing) == 1; shown != (i >= FailingAfter) {
			t.Fatalf("after %d failed attempts, shown as failing: %v", i, shown)
		}
		clk.Add(2 * time.Hour)
	}
	if st, _, _ := status(t, db, "stable-2"); st != StatusFailed {
		t.Fatalf("after MaxAttempts the message is %s, want failed", st)
	}
	if d, _ := q.DeliverDue(ctx); d.Sent+d.Failed != 0 {
		t.Fatalf("a given-up message was tried again by itself: %+v", d)
	}
	failing, _ := q.Failing(ctx)
	if len(failing) != 1 || failing[0].To != "asso2@example.org" || failing[0].LastError == "" {
		t.Fatalf("failing list: %+v", failing)
	}
	srv := startTestServer(t)
	sender.set(smtpTo(t, srv.port))
	// A retry whose audit line cannot be written leaves the message given up.
	refused := errors.New("audit refused")
	if err := q.Retry(ctx, failing[0].ID, func(*sql.Tx) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("retry without its audit line: %v", err)
	}
	if st, _, _ := status(t, db, "stable-2"); st != StatusFailed {
		t.Fatalf("a retry that rolled back left the message %s", st)
	}
	if err := q.Retry(ctx, failing[0].ID); err != nil {
		t.Fatal(err)
	}
	if d, err := q.DeliverDue(ctx); err != nil || d.Sent != 1 {
		t.Fatalf("after retry: %+v, %v", d, err)
	}
	if err := q.Retry(ctx, failing[0].ID); err == nil {
		t.Error("retrying a sent message succeeded, want a conflict")
	}
	if failing, _ := q.Failing(ctx); len(failing) != 0 {
		t.Errorf("still failing after being sent: %+v", failing)
	}
}

func TestQueueSendsNothingForAChangeThatRolledBack(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	srv := startTestServer(t)
	q := NewQueue(db, smtpTo(t, srv.port), slog.New(slog.DiscardHandler), QueueOptions{})
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Enqueue(ctx, tx, testMessage(3)); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	err = db.Tx(ctx, func(tx *sql.Tx) error { return Enqueue(ctx, tx, testMessage(4)) })
	if err != nil {
		t.Fatal(err)
	}
	if d, err := q.DeliverDue(ctx); err != nil || d.Sent != 1 {
		t.Fatalf("%+v, %v; want only the committed message sent", d, err)
	}
	if got := srv.received(); len(got) != 1 || got[0].to[0] != "asso4@example.org" {
		t.Fatalf("server received %+v", got)
	}
}

func TestQueueRefusesAnInvalidMessageAtEnqueue(t *testing.T) {
	db := dbtest.Open(t)
	q := NewQueue(db, &switchSender{}, nil, QueueOptions{})
	m := testMessage(5)
	m.To = "Camille <camille@example.org>"
	if err := q.Post(context.Background(), m); err == nil {
		t.Fatal("an invalid message was queued")
	}
}

func TestQueueClaimsEachMessageOnceAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	srv := startTestServer(t)
	const n = 12
	for i := range n {
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return Enqueue(ctx, tx, testMessage(i)) }); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 3 {
		q := NewQueue(db, smtpTo(t, srv.port), slog.New(slog.DiscardHandler), QueueOptions{Worker: fmt.Sprintf("w%d", w)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := q.DeliverDue(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := srv.received()
	if len(got) != n {
		t.Fatalf("three workers sent %d messages, want %d, each once", len(got), n)
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.to[0]] {
			t.Errorf("%s received twice", r.to[0])
		}
		seen[r.to[0]] = true
	}
}

// switchSender sends through whichever sender was set last.
type switchSender struct {
	mu sync.Mutex
	s  Sender
}

func (s *switchSender) set(to Sender) { s.mu.Lock(); s.s = to; s.mu.Unlock() }

func (s *switchSender) Send(ctx context.Context, m Message) error {
	s.mu.Lock()
	to := s.s
	s.mu.Unlock()
	if to == nil {
		return unavailable("mail: test", fmt.Errorf("no sender"))
	}
	return to.Send(ctx, m)
}

// recordSender keeps what it was given.
type recordSender struct {
	mu   sync.Mutex
	sent []Message
}

func (s *recordSender) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return nil
}

func TestQueueForgetsTheRecipientOfAMessageMarkedSoOnceSent(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	sender := &recordSender{}
	q := NewQueue(db, sender, slog.New(slog.DiscardHandler), QueueOptions{})
	forget := Message{ID: "forget", To: "erased@example.org", ToName: "Camille", Subject: "Les Effacés", Text: "Bonjour", ForgetOnceSent: true}
	keep := Message{ID: "keep", To: "kept@example.org", ToName: "Dominique", Subject: "Votre demande", Text: "Bonjour"}
	for _, m := range []Message{forget, keep} {
		if err := q.Post(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	var addr string
	if err := db.QueryRow(`SELECT to_addr FROM mail_outbox WHERE message_id = 'forget'`).Scan(&addr); err != nil || addr != forget.To {
		t.Fatalf("before sending the address is %q (%v): it must be kept until sent", addr, err)
	}
	if d, err := q.DeliverDue(ctx); err != nil || d.Sent != 2 {
		t.Fatalf("delivered %+v, %v", d, err)
	}
	if len(sender.sent) != 2 || sender.sent[0].To == "" || sender.sent[1].To == "" {
		t.Fatalf("sent %+v", sender.sent)
	}
	for _, tc := range []struct {
		name, id, to, toName, subject string
	}{
		{"a message marked so keeps no address, name or subject once sent", "forget", "", "", ""},
		{"another message keeps its address, name and subject", "keep", keep.To, keep.ToName, keep.Subject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var to, name, subject, st string
			if err := db.QueryRow(`SELECT to_addr, to_name, subject, status FROM mail_outbox WHERE message_id = $1`, tc.id).
				Scan(&to, &name, &subject, &st); err != nil {
				t.Fatal(err)
			}
			if st != StatusSent || to != tc.to || name != tc.toName || subject != tc.subject {
				t.Errorf("%s: %q %q %q, want %q %q %q", st, to, name, subject, tc.to, tc.toName, tc.subject)
			}
		})
	}
}

// TestFailureReasonIsWhatAPersonReads checks that a failed handover is
// recorded in the mail server's or the network's words, or as a message
// to translate, never with Archipel's error codes.
func TestFailureReasonIsWhatAPersonReads(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"a refused connection keeps the network's words",
			unavailable("smtp 127.0.0.1:1", errors.New("dial tcp 127.0.0.1:1: connection refused")), "dial tcp 127.0.0.1:1: connection refused"},
		{"a wrapped refusal too",
			fmt.Errorf("send: %w", unavailable("smtp", errors.New("421 too busy"))), "421 too busy"},
		{"a refusal without cause is its message to translate",
			apperr.New(apperr.Unavailable, "error.unavailable", "smtp"), `{"id":"error.unavailable"}`},
		{"an invalid message says what is wrong", invalid("no recipient"), "no recipient"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := failureReason(c.err)
			if got != c.want {
				t.Errorf("failureReason = %q, want %q", got, c.want)
			}
			if strings.Contains(got, "(error.") || strings.Contains(got, "unavailable:") {
				t.Errorf("%q shows an error code", got)
			}
		})
	}
}
