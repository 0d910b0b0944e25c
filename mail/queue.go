package mail

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"archipel/apperr"
	"archipel/database"
)

// The transactional outbox. A message is a row of mail_outbox written by
// Enqueue in the transaction of the change that causes it: if the change
// commits, the message will go; if it rolls back, no message was ever
// promised. A Queue then sends the rows one at a time:
//
//	pending --claim (lease)--> sending --accepted--> sent
//	                              \--refused--> pending (later, backoff) ... failed
//
// One message is claimed at a time with a short lease, and its Message-ID
// never changes. That leaves one at-least-once window: a worker that dies
// after the mail server accepted a message but before recording it (one
// database write) sends that one message again once its lease is over,
// with the same Message-ID.

// Queue statuses of a stored message.
const (
	StatusPending = "pending" // waiting for its next attempt (or in flight while claimed)
	StatusSent    = "sent"    // accepted by the mail server (or written to the outbox directory)
	StatusFailed  = "failed"  // given up: invalid, or refused too many times; an administrator may retry it
)

// QueueOptions tune a Queue; zero values take the defaults.
type QueueOptions struct {
	Worker      string        // this process's name in claims; default a random one
	Lease       time.Duration // how long a claim holds; default 1 minute
	SendTimeout time.Duration // bound on one attempt; default 45 s, and always shorter than Lease
	Poll        time.Duration // how often Run looks for due messages; default 3 s
	MaxAttempts int           // attempts before giving up; default 24 (about a day)
	FirstRetry  time.Duration // delay after the first failure, doubled each time; default 30 s
	MaxRetry    time.Duration // longest delay between attempts; default 1 hour
	Now         func() time.Time
}

func (o *QueueOptions) defaults() {
	if o.Worker == "" {
		o.Worker = "mail-" + uuid.NewString()[:8]
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 45 * time.Second
	}
	if o.SendTimeout >= o.Lease {
		o.SendTimeout = o.Lease * 3 / 4
	}
	if o.Poll <= 0 {
		o.Poll = 3 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 24
	}
	if o.FirstRetry <= 0 {
		o.FirstRetry = 30 * time.Second
	}
	if o.MaxRetry <= 0 {
		o.MaxRetry = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Queue sends the messages of the outbox table through a Sender.
type Queue struct {
	db     *database.DB
	sender Sender
	logger *slog.Logger
	opts   QueueOptions
	wake   chan struct{}

	mu      sync.Mutex
	sending sync.Mutex // one delivery loop per process
}

// NewQueue returns a Queue sending db's outbox through sender; a nil logger means slog.Default().
func NewQueue(db *database.DB, sender Sender, logger *slog.Logger, opts QueueOptions) *Queue {
	opts.defaults()
	if logger == nil {
		logger = slog.Default()
	}
	return &Queue{db: db, sender: sender, logger: logger, opts: opts, wake: make(chan struct{}, 1)}
}

// DB is the database the queue's messages live in.
func (q *Queue) DB() *database.DB { return q.db }

// Worker is the name this queue claims messages under.
func (q *Queue) Worker() string { return q.opts.Worker }

func (q *Queue) now() time.Time { return q.opts.Now().UTC() }

// Enqueue stores m in the outbox inside tx, the transaction of the change
// that causes it; it goes once tx commits. Its errors have code
// apperr.Invalid when m fails Validate, apperr.Internal otherwise.
func Enqueue(ctx context.Context, tx *sql.Tx, m Message) error {
	if m.ID == "" {
		m.ID = randomHex(16)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	var attachments string
	if len(m.Attachments) > 0 {
		b, err := json.Marshal(m.Attachments)
		if err != nil {
			return fmt.Errorf("mail: enqueue: %w", err)
		}
		attachments = string(b)
	}
	var request any
	if m.RequestID != "" {
		request = m.RequestID
	}
	now := time.Now().UTC()
	_, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, message_id, application_id, tag, to_addr, to_name, subject,
		text_body, html_body, attachments, status, next_attempt_at, created_at, forget_sent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11, $12)`,
		uuid.NewString(), m.ID, request, m.Tag, m.To, m.ToName, m.Subject, m.Text, m.HTML, attachments, now, m.ForgetOnceSent)
	return database.MapError(err, "mail: enqueue")
}

// Post stores m in the outbox in a transaction of its own and wakes the
// queue; prefer Enqueue inside the transaction of the change itself.
func (q *Queue) Post(ctx context.Context, m Message) error {
	err := q.db.Tx(ctx, func(tx *sql.Tx) error { return Enqueue(ctx, tx, m) })
	if err == nil {
		q.Wake()
	}
	return err
}

// Wake makes Run look for due messages now rather than at its next poll.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends, looking every Poll or when woken.
func (q *Queue) Run(ctx context.Context) {
	t := time.NewTicker(q.opts.Poll)
	defer t.Stop()
	for {
		if _, err := q.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			q.logger.Error("mail queue", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-q.wake:
		}
	}
}

// Delivery counts what DeliverDue did.
type Delivery struct {
	Sent, Failed int
}

// DeliverDue sends the due messages one by one until none is left, one
// could not be handed over (the server is likely down: the others wait for
// the next round) or ctx ends, and says how many went and how many failed.
func (q *Queue) DeliverDue(ctx context.Context) (Delivery, error) {
	q.sending.Lock()
	defer q.sending.Unlock()
	var d Delivery
	for ctx.Err() == nil {
		m, attempts, err := q.claim(ctx)
		if err != nil {
			return d, err
		}
		if m == nil {
			return d, nil
		}
		switch err := q.deliver(ctx, m, attempts); {
		case err == nil:
			d.Sent++
		case apperr.CodeOf(err) == apperr.Invalid:
			d.Failed++
		default:
			d.Failed++
			return d, nil
		}
	}
	return d, ctx.Err()
}

// claim takes the next due message for this worker, with a lease; nil when none is due.
func (q *Queue) claim(ctx context.Context) (*queued, int, error) {
	now := q.now()
	const due = `status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)`
	row := q.db.QueryRowContext(ctx, `UPDATE mail_outbox SET claimed_by = $1, lease_until = $2, attempts = attempts + 1
		WHERE id = (SELECT id FROM mail_outbox WHERE `+due+` ORDER BY next_attempt_at, created_at LIMIT 1)
		AND `+due+`
		RETURNING id, message_id, COALESCE(application_id, ''), tag, to_addr, to_name, subject, text_body, html_body, attachments, attempts`,
		q.opts.Worker, now.Add(q.opts.Lease), now)
	var m queued
	var attachments string
	var attempts int
	err := row.Scan(&m.rowID, &m.ID, &m.RequestID, &m.Tag, &m.To, &m.ToName, &m.Subject, &m.Text, &m.HTML, &attachments, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, database.MapError(err, "mail: claim")
	}
	if attachments != "" {
		if err := json.Unmarshal([]byte(attachments), &m.Attachments); err != nil {
			return &m, attempts, nil // deliver reports it through Validate: no attachment data
		}
	}
	return &m, attempts, nil
}

type queued struct {
	Message
	rowID string
}

// deliver sends one claimed message, records the outcome and returns the sender's error.
func (q *Queue) deliver(ctx context.Context, m *queued, attempts int) error {
	sctx, cancel := context.WithTimeout(ctx, q.opts.SendTimeout)
	err := q.sender.Send(sctx, m.Message)
	cancel()
	if err == nil {
		// Recording must not be cut short by the caller: the server has the message.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		// A message marked forget_sent keeps no trace of its recipient.
		_, rerr := q.db.ExecContext(rctx, `UPDATE mail_outbox SET status = 'sent', sent_at = $1, claimed_by = '', lease_until = NULL,
			last_error = '', text_body = '', html_body = '', attachments = '',
			to_addr = CASE WHEN forget_sent THEN '' ELSE to_addr END, to_name = CASE WHEN forget_sent THEN '' ELSE to_name END,
			subject = CASE WHEN forget_sent THEN '' ELSE subject END WHERE id = $2`, q.now(), m.rowID)
		if rerr != nil {
			q.logger.Error("mail sent but not recorded: it may go twice", slog.String("message_id", m.ID), slog.Any("err", rerr))
		}
		return nil
	}
	status := StatusPending
	if apperr.CodeOf(err) == apperr.Invalid || attempts >= q.opts.MaxAttempts {
		status = StatusFailed
	}
	next := q.now().Add(q.backoff(attempts))
	reason := failureReason(err)
	if len(reason) > 500 {
		reason = reason[:500]
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, rerr := q.db.ExecContext(rctx, `UPDATE mail_outbox SET status = $1, next_attempt_at = $2, last_error = $3, claimed_by = '', lease_until = NULL
		WHERE id = $4 AND claimed_by = $5`, status, next, reason, m.rowID, q.opts.Worker)
	if rerr != nil {
		q.logger.Error("mail queue: record failure", slog.String("message_id", m.ID), slog.Any("err", rerr))
	}
	level := slog.LevelWarn
	if status == StatusFailed {
		level = slog.LevelError
	}
	q.logger.Log(ctx, level, "mail not sent", slog.String("message_id", m.ID), slog.String("tag", m.Tag),
		slog.Int("attempts", attempts), slog.String("status", status), slog.Time("next", next), slog.Any("err", err))
	return err
}

// backoff is the delay after the n-th failed attempt: FirstRetry doubled
// each time up to MaxRetry, give or take a fifth so replicas spread out.
func (q *Queue) backoff(n int) time.Duration {
	d := q.opts.FirstRetry
	for i := 1; i < n && d < q.opts.MaxRetry; i++ {
		d *= 2
	}
	d = min(d, q.opts.MaxRetry)
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// Queued is a stored message as administrators see it (never its body).
type Queued struct {
	ID          string
	MessageID   string
	RequestID   string
	Tag         string
	To          string
	Subject     string
	Status      string
	Attempts    int
	LastError   string
	NextAttempt time.Time
	CreatedAt   time.Time
	SentAt      time.Time
}

// FailingAfter is the number of failed attempts after which a pending
// message is shown to administrators as failing.
const FailingAfter = 3

// Failing lists the messages given up and those that failed at least
// FailingAfter times, oldest first.
func (q *Queue) Failing(ctx context.Context) ([]Queued, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, message_id, COALESCE(application_id, ''), tag, to_addr, subject, status, attempts,
		last_error, next_attempt_at, created_at, sent_at FROM mail_outbox
		WHERE status = 'failed' OR (status = 'pending' AND attempts >= $1 AND last_error <> '')
		ORDER BY created_at, id LIMIT 500`, FailingAfter)
	if err != nil {
		return nil, database.MapError(err, "mail: failing messages")
	}
	defer rows.Close()
	var out []Queued
	for rows.Next() {
		var m Queued
		var sent sql.NullTime
		if err := rows.Scan(&m.ID, &m.MessageID, &m.RequestID, &m.Tag, &m.To, &m.Subject, &m.Status, &m.Attempts,
			&m.LastError, &m.NextAttempt, &m.CreatedAt, &sent); err != nil {
			return nil, database.MapError(err, "mail: failing messages")
		}
		m.SentAt = sent.Time
		out = append(out, m)
	}
	return out, database.MapError(rows.Err(), "mail: failing messages")
}

// Counts says how many messages wait and how many are failing, for the
// administrators' pages.
func (q *Queue) Counts(ctx context.Context) (pending, failing int, err error) {
	err = q.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' OR (status = 'pending' AND attempts >= $1 AND last_error <> '') THEN 1 ELSE 0 END), 0)
		FROM mail_outbox WHERE status <> 'sent'`, FailingAfter).Scan(&pending, &failing)
	return pending, failing, database.MapError(err, "mail: count messages")
}

// Retry makes a failing or given-up message due now, with a fresh count of
// attempts; then (the administrator's audit line) commits in the same
// transaction. A message already sent is a conflict; an unknown one not
// found. Who may retry is the administrators' pages' rule: this package
// knows no accounts (they send through it).
func (q *Queue) Retry(ctx context.Context, id string, then ...database.Then) error {
	err := q.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'pending', attempts = 0, next_attempt_at = $1
		WHERE id = $2 AND status <> 'sent'`, q.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM mail_outbox WHERE id = $1`, id).Scan(&status); err != nil {
				return err
			}
			return apperr.New(apperr.Conflict, "err.mail.already_sent", "mail: retry")
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		return database.MapError(err, "mail: retry")
	}
	q.Wake()
	return nil
}

// failureReason is what administrators read of a failed handover: the mail
// server's or the network's own words (the innermost cause), or, for a
// refusal by Archipel itself, its message as a stored message ({"id": key},
// translated when shown), never an error code.
func failureReason(err error) string {
	for {
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			return err.Error()
		}
		if ae.Err == nil {
			key := ae.Key
			if key == "" {
				key = "error." + string(ae.Code)
			}
			b, _ := json.Marshal(map[string]string{"id": key})
			return string(b)
		}
		err = ae.Err
	}
}
