package training

// The test environment of the accompaniment: a fresh database (SQLite, or
// PostgreSQL when ARCHIPEL_TEST_POSTGRES is set), a fake clock shared by the
// store and the scheduler, partner hosts and ready workspaces, and a mail
// sender that keeps what it is given.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"archipel/database"
	"archipel/database/dbtest"
	"archipel/mail"
	"archipel/templates"
)

// t0 is when every test starts: a Monday morning in Paris.
var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var (
	tplOnce sync.Once
	tplSet  *templates.Set
	tplErr  error
)

func loadTemplates(t testing.TB) *templates.Set {
	t.Helper()
	tplOnce.Do(func() { tplSet, tplErr = templates.Load() })
	if tplErr != nil {
		t.Fatalf("load templates: %v", tplErr)
	}
	return tplSet
}

// memSender keeps the messages it is given; it fails while fail is set.
// Reading it first sends what the outbox holds, as a running service would.
type memSender struct {
	mu    sync.Mutex
	msgs  []mail.Message
	fail  bool
	queue *mail.Queue
}

func (m *memSender) deliver() {
	if m.queue != nil {
		_, _ = m.queue.DeliverDue(context.Background())
	}
}

func (m *memSender) Send(ctx context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("mail server down")
	}
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *memSender) setFail(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = on
}

// to returns the messages sent to addr, oldest first.
func (m *memSender) to(addr string) []mail.Message {
	m.deliver()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []mail.Message
	for _, msg := range m.msgs {
		if msg.To == addr {
			out = append(out, msg)
		}
	}
	return out
}

func (m *memSender) count() int {
	m.deliver()
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

var linkRe = regexp.MustCompile(`https://archipel\.test/bilan/([A-Za-z0-9_-]{43})\b`)

// linkIn returns the check-in token of a message.
func linkIn(t *testing.T, msg mail.Message) string {
	t.Helper()
	m := linkRe.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("no check-in link in %q", msg.Text)
	}
	return m[1]
}

type env struct {
	t       *testing.T
	ctx     context.Context
	db      *database.DB
	clock   *clockwork.FakeClock
	store   *Store
	mails   *memSender
	postman *mail.Postman
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), db: dbtest.Open(t), clock: clockwork.NewFakeClockAt(t0), mails: &memSender{}}
	e.store = NewStore(e.db, e.clock.Now)
	e.mails.queue = mail.NewQueue(e.db, e.mails, slog.New(slog.DiscardHandler), mail.QueueOptions{FirstRetry: time.Nanosecond, MaxRetry: time.Nanosecond})
	e.postman = &mail.Postman{Renderer: loadTemplates(t), Queue: e.mails.queue}
	return e
}

// newStore is another process's store on the same database and clock.
func (e *env) newStore() *Store { return NewStore(e.db, e.clock.Now) }

// dispatcher returns a dispatcher of a store (a "process") named worker.
func (e *env) dispatcher(s *Store, worker string, opts DispatcherOptions) *Dispatcher {
	opts.Worker, opts.BaseURL, opts.Clock = worker, "https://archipel.test", e.clock
	return NewDispatcher(s, e.postman, nil, slog.New(slog.DiscardHandler), opts)
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.ExecContext(e.ctx, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// seedHost adds a partner host with check-ins at offsets ("" for the default).
func (e *env) seedHost(id, name, offsets string) {
	e.t.Helper()
	if offsets == "" {
		offsets = "7,30,90"
	}
	e.exec(`INSERT INTO hosts (id, slug, name, checkin_offsets, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		id, id, name, offsets, t0)
}

// workspace describes a ready workspace to seed.
type workspace struct {
	host, name, email, lang string
	group, account, folder  string
	readyAt                 time.Time
	goals                   string // interview notes of "needs", if any
}

// seedWorkspace adds an approved request and its ready workspace; it
// returns the request's id.
func (e *env) seedWorkspace(w workspace) string {
	e.t.Helper()
	id := uuid.NewString()
	if w.lang == "" {
		w.lang = "fr"
	}
	if w.readyAt.IsZero() {
		w.readyAt = t0
	}
	if w.group == "" {
		w.group = strings.ToLower(strings.ReplaceAll(w.name, " ", "-"))
	}
	if w.account == "" {
		w.account = w.group + "-admin"
	}
	if w.folder == "" {
		w.folder = w.name
	}
	answers, _ := json.Marshal(map[string]any{
		"association": map[string]any{"name": w.name, "town": "Lyon"},
		"members":     map[string]any{"contact_name": "Anne " + w.name},
		"needs":       map[string]any{"services": []string{"files", "calendars"}},
	})
	e.exec(`INSERT INTO applications (id, status, language, answers, association_name, departement, contact_email, host_id, created_at, updated_at)
		VALUES ($1, 'ready', $2, $3, $4, '69', $5, $6, $7, $7)`, id, w.lang, string(answers), w.name, w.email, w.host, w.readyAt)
	e.exec(`INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
		VALUES ($1, $2, 'https://cloud.example', $3, $4, $5, 1073741824, $6)`, id, w.host, w.account, w.group, w.folder, w.readyAt)
	if w.goals != "" {
		notes, _ := json.Marshal(map[string]string{"activity": "Vélo", "needs": w.goals})
		e.exec(`INSERT INTO interviews (id, application_id, scheduled_at, mode, status, notes, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, 'video', 'planned', $4, 'u', $3, $3)`, uuid.NewString(), id, w.readyAt.Add(-7*day), string(notes))
	}
	return id
}

// caseOf returns the case of a request.
func (e *env) caseOf(appID string) *Case {
	e.t.Helper()
	c, err := e.store.ByApplication(e.ctx, appID)
	if err != nil {
		e.t.Fatalf("case of %s: %v", appID, err)
	}
	return c
}

// statuses returns a case's check-ins' statuses in due order.
func (e *env) statuses(caseID string) []CheckinStatus {
	e.t.Helper()
	ks, err := e.store.Checkins(e.ctx, caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []CheckinStatus
	for _, k := range ks {
		out = append(out, k.Status)
	}
	return out
}

// tick runs one tick of d and fails the test on error.
func (e *env) tick(d *Dispatcher) TickResult {
	e.t.Helper()
	res, err := d.Tick(e.ctx)
	if err != nil {
		e.t.Fatalf("tick: %v", err)
	}
	return res
}

func (e *env) staff(id, hostID, role, name string) {
	e.t.Helper()
	var host any
	if hostID != "" {
		host = hostID
	}
	e.exec(`INSERT INTO staff_users (id, email, name, role, host_id, language, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'fr', $6, $6)`,
		id, id+"@host.example", name, role, host, t0)
}
