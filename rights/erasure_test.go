package rights_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/mail"
	"archipel/rights"
	"archipel/training"
)

// textColumns lists every column of every table that can hold text or
// bytes, on either engine.
func textColumns(t *testing.T, db *database.DB) map[string][]column {
	t.Helper()
	ctx := context.Background()
	out := map[string][]column{}
	var q string
	if db.Dialect == database.Postgres {
		q = `SELECT table_name, column_name, data_type = 'bytea' FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'bytea', 'json', 'jsonb')`
	} else {
		q = `SELECT m.name, p.name, p.type LIKE '%BLOB%' FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
			AND (p.type LIKE '%TEXT%' OR p.type LIKE '%CHAR%' OR p.type LIKE '%BLOB%' OR p.type = '')`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table string
		var col column
		if err := rows.Scan(&table, &col.name, &col.bytes); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
		n++
	}
	if n < 50 {
		t.Fatalf("found only %d text columns: is the query right?", n)
	}
	return out
}

// column is a column to scan; bytes for BLOB and bytea ones.
type column struct {
	name  string
	bytes bool
}

// findEverywhere returns where value appears in the database.
func findEverywhere(t *testing.T, db *database.DB, cols map[string][]column, value string) []string {
	t.Helper()
	var where []string
	for table, list := range cols {
		for _, col := range list {
			expr := fmt.Sprintf(`CAST(%q AS TEXT)`, col.name)
			if col.bytes && db.Dialect == database.Postgres {
				expr = fmt.Sprintf(`encode(%q, 'escape')`, col.name)
			}
			var n int
			q := fmt.Sprintf(`SELECT COUNT(*) FROM %q WHERE %s LIKE $1`, table, expr)
			if err := db.QueryRowContext(context.Background(), q, "%"+value+"%").Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if n > 0 {
				where = append(where, table+"."+col.name)
			}
		}
	}
	return where
}

func TestErasureLeavesNoPersonalValueAnywhere(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	seedHost(t, db, "h-a")
	seedHost(t, db, "h-b")
	a := seedAssociation(t, db, "A", "h-a")
	b := seedAssociation(t, db, "B", "h-b")
	exec(t, db, `UPDATE provisioning_jobs SET status = 'succeeded'`)
	store := rights.NewStore(db, nil)
	sender := &recordSender{}
	queue := mail.NewQueue(db, sender, slog.New(slog.DiscardHandler), mail.QueueOptions{})
	store.Postman = &mail.Postman{Renderer: echoRenderer{}, Queue: queue}
	cols := textColumns(t, db)
	personal := append(append(append([]string{}, a.Values...), a.Internal...), a.Secrets...)
	personal = append(personal, "PNG-A")
	for _, v := range personal {
		if len(findEverywhere(t, db, cols, v)) == 0 {
			t.Fatalf("seeded value %q is nowhere before erasure: the scan cannot see it", v)
		}
	}

	req, done, err := store.AskErasure(ctx, a.ID, rights.NextcloudDisable)
	if err != nil || done {
		t.Fatalf("ask: done %v, err %v", done, err)
	}
	again, _, err := store.AskErasure(ctx, a.ID, rights.NextcloudDisable)
	if err != nil || again.ID != req.ID {
		t.Fatalf("asking twice made another request (%v)", err)
	}
	staffB := &accounts.User{ID: "staff-b", Email: "b@staff.example", Role: accounts.RoleStaff, HostID: "h-b"}
	if _, err := store.ConfirmErasure(ctx, staffB, a.ID, rights.NextcloudDisable); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("staff of another host confirmed: %v", err)
	}
	staffA := &accounts.User{ID: "staff-a", Email: "a@staff.example", Role: accounts.RoleStaff, HostID: "h-a"}
	erased, err := store.ConfirmErasure(ctx, staffA, a.ID, rights.NextcloudDisable)
	if err != nil {
		t.Fatal(err)
	}
	if !erased.Workspace || erased.Request.Nextcloud != rights.NextcloudDisable {
		t.Errorf("erased %+v", erased)
	}

	contact := a.Values[1] + "@example.org" // seedAssociation's contact address
	t.Run("the association is told once, at its address, before the address goes", func(t *testing.T) {
		if n := count(t, db, `SELECT COUNT(*) FROM mail_outbox WHERE to_addr = $1 AND tag = 'erased' AND application_id IS NULL
			AND status = 'pending' AND forget_sent`, contact); n != 1 {
			t.Fatalf("%d notices queued to %s", n, contact)
		}
		// B's pending e-mail goes too: only the notice is looked at.
		if _, err := queue.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		var notices []mail.Message
		for _, m := range sender.sent {
			if m.Tag == "erased" {
				notices = append(notices, m)
			}
		}
		if len(notices) != 1 {
			t.Fatalf("%d notices sent", len(notices))
		}
		if m := notices[0]; m.To != contact || !strings.Contains(m.Subject, a.Values[0]) {
			t.Errorf("sent to %q about %q", m.To, m.Subject)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM mail_outbox WHERE tag = 'erased' AND status = 'sent'`); n != 1 {
			t.Errorf("%d notices recorded as sent", n)
		}
	})
	t.Run("no personal value of the erased request is left in any text column", func(t *testing.T) {
		for _, v := range personal {
			if where := findEverywhere(t, db, cols, v); len(where) > 0 {
				t.Errorf("%q still in %v", v, where)
			}
		}
	})
	t.Run("the other host's request is untouched", func(t *testing.T) {
		for _, v := range append(b.Values, b.Internal...) {
			if where := findEverywhere(t, db, cols, v); len(where) == 0 {
				t.Errorf("%q of B was erased", v)
			}
		}
	})
	t.Run("a minimal record of the erasure stays", func(t *testing.T) {
		if n := count(t, db, `SELECT COUNT(*) FROM rights_requests WHERE application_id = $1 AND kind = 'erasure'
			AND requested_by = 'association' AND status = 'done' AND answered_by = 'staff-a' AND answered_at IS NOT NULL
			AND nextcloud = 'disable'`, a.ID); n != 1 {
			t.Errorf("%d register lines", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'rights_erased' AND application_id = $1`, a.ID); n != 1 {
			t.Errorf("%d audit lines", n)
		}
	})
	t.Run("its case closes and sends no more check-ins", func(t *testing.T) {
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE id = $1 AND stage = 'closed' AND outcome = 'dropped'
			AND closed_at IS NOT NULL AND checkins_stopped`, a.CaseID); n != 1 {
			t.Error("the case is still open")
		}
	})
	t.Run("the erased request can no longer be exported or erased", func(t *testing.T) {
		if _, err := store.ExportFor(ctx, rights.Requester{}, a.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("export: %v", err)
		}
		if _, _, err := store.AskErasure(ctx, a.ID, rights.NextcloudKeep); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("ask: %v", err)
		}
	})
}

func TestErasureRules(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	seedHost(t, db, "h-a")
	store := rights.NewStore(db, nil)
	staffA := &accounts.User{ID: "staff-a", Role: accounts.RoleStaff, HostID: "h-a"}
	t.Run("a draft is erased at once, with nothing left", func(t *testing.T) {
		seedRequest(t, db, "d1", "draft", now)
		_, done, err := store.AskErasure(ctx, "d1", rights.NextcloudKeep)
		if err != nil || !done {
			t.Fatalf("done %v, err %v", done, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM applications WHERE id = 'd1'`); n != 0 {
			t.Error("the draft is still there")
		}
	})
	t.Run("a workspace being created must finish or be cancelled first", func(t *testing.T) {
		seedRequest(t, db, "p1", "provisioning", now)
		exec(t, db, `UPDATE applications SET host_id = 'h-a' WHERE id = 'p1'`)
		exec(t, db, `INSERT INTO provisioning_jobs (id, application_id, host_id, status, plan, next_run_at, created_at, updated_at)
			VALUES ('j1', 'p1', 'h-a', 'running', '{}', $1, $1, $1)`, now)
		if _, err := store.ConfirmErasure(ctx, staffA, "p1", rights.NextcloudKeep); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
	t.Run("an erased request with a workspace but no case yet gets no case", func(t *testing.T) {
		seedRequest(t, db, "w1", "ready", now)
		exec(t, db, `UPDATE applications SET host_id = 'h-a' WHERE id = 'w1'`)
		exec(t, db, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
			VALUES ('w1', 'h-a', 'https://cloud.example', 'w1', 'w1', '/w1', 1, $1)`, now)
		if _, err := store.ConfirmErasure(ctx, staffA, "w1", rights.NextcloudKeep); err != nil {
			t.Fatal(err)
		}
		if _, err := training.NewStore(db, nil).OpenCases(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE application_id = 'w1'`); n != 0 {
			t.Error("a case was opened for an erased request")
		}
	})
	t.Run("staff may erase on a request received another way; without a workspace nothing is asked of Nextcloud", func(t *testing.T) {
		seedRequest(t, db, "s1", "submitted", now)
		exec(t, db, `UPDATE applications SET host_id = 'h-a' WHERE id = 's1'`)
		erased, err := store.ConfirmErasure(ctx, staffA, "s1", rights.NextcloudDisable)
		if err != nil {
			t.Fatal(err)
		}
		if erased.Workspace || erased.Request.Nextcloud != rights.NextcloudKeep || erased.Request.RequestedBy != "staff-a" {
			t.Errorf("erased %+v", erased.Request)
		}
	})
	t.Run("an unknown choice is refused", func(t *testing.T) {
		if _, _, err := store.AskErasure(ctx, "s1", "burn"); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("err = %v", err)
		}
	})
}

// echoRenderer writes a letter's data into its subject and body, so that a
// test sees whether the outbox keeps it.
type echoRenderer struct{}

func (echoRenderer) Mail(lang, name string, data any) (string, string, string, error) {
	m, _ := data.(map[string]any)
	return fmt.Sprintf("%s %v", name, m["Name"]), fmt.Sprintf("%v", m), "", nil
}

// recordSender keeps what it was given.
type recordSender struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (s *recordSender) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return nil
}
