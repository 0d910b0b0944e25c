package training

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"archipel/accounts"
)

// TestMoveStageCommitsWithItsAuditLine checks that a case's move and its
// audit line commit in one transaction.
func TestMoveStageCommitsWithItsAuditLine(t *testing.T) {
	e := newEnv(t)
	c, _ := sentCheckin(t, e)
	audit := accounts.NewStore(e.db, nil)
	count := func() (n int) {
		t.Helper()
		if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'case_stage' AND application_id = $1`, c.ApplicationID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	from := c.Stage
	gone, cancel := context.WithCancel(e.ctx)
	cancel()
	refused := errors.New("refused")
	for name, fail := range map[string]func(*sql.Tx) error{
		"the audit write fails": audit.RecordIn(gone, testAdmin, "case_stage", c.HostID, c.ApplicationID, ""),
		"what follows it fails": func(tx *sql.Tx) error {
			if err := audit.RecordIn(e.ctx, testAdmin, "case_stage", c.HostID, c.ApplicationID, "")(tx); err != nil {
				return err
			}
			return refused
		},
	} {
		if err := e.store.MoveStage(e.ctx, c, StageTraining, fail); err == nil {
			t.Fatalf("%s: moved anyway", name)
		}
		got, err := e.store.Get(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Stage != from || c.Stage != from {
			t.Errorf("%s: stage %s kept (in memory %s)", name, got.Stage, c.Stage)
		}
		if n := count(); n != 0 {
			t.Errorf("%s: %d audit lines kept", name, n)
		}
	}
	if err := e.store.MoveStage(e.ctx, c, StageTraining, audit.RecordIn(e.ctx, testAdmin, "case_stage", c.HostID, c.ApplicationID, "")); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.Get(e.ctx, c.ID); got.Stage != StageTraining || count() != 1 {
		t.Errorf("stage %s, %d audit lines; want %s, 1", got.Stage, count(), StageTraining)
	}
}
