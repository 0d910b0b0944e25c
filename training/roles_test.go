package training

import (
	"errors"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
)

// testAdmin acts in tests whose subject is not who may act.
var testAdmin = &accounts.User{ID: "admin", Role: accounts.RoleAdmin}

// Who may choose a case's trainers and close it is a rule of the domain: the
// hostile review found an unassigned trainer doing both.
func TestWhoMayAssignTrainersAndCloseACase(t *testing.T) {
	e := newEnv(t)
	c, _ := sentCheckin(t, e)
	e.staff("cam", c.HostID, "trainer", "Camille")
	e.staff("bea", c.HostID, "trainer", "Béatrice")
	if err := e.store.AssignTrainers(e.ctx, testAdmin, c, []string{"cam"}); err != nil {
		t.Fatal(err)
	}
	staff := &accounts.User{ID: "sta", Role: accounts.RoleStaff, HostID: c.HostID}
	otherStaff := &accounts.User{ID: "far", Role: accounts.RoleStaff, HostID: "elsewhere"}
	assigned := &accounts.User{ID: "cam", Role: accounts.RoleTrainer, HostID: c.HostID}
	unassigned := &accounts.User{ID: "bea", Role: accounts.RoleTrainer, HostID: c.HostID}
	for _, tc := range []struct {
		name             string
		actor            *accounts.User
		assign, mayClose bool
	}{
		{"an administrator assigns and closes", testAdmin, true, true},
		{"the host's staff assign and close", staff, true, true},
		{"another host's staff do neither", otherStaff, false, false},
		{"an assigned trainer closes but does not assign", assigned, false, true},
		{"an unassigned trainer does neither", unassigned, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c.MayAssign(tc.actor) != tc.assign || c.MayClose(tc.actor) != tc.mayClose {
				t.Errorf("may assign %t, may close %t", c.MayAssign(tc.actor), c.MayClose(tc.actor))
			}
		})
	}
	t.Run("the store refuses an unassigned trainer", func(t *testing.T) {
		fresh, err := e.store.Get(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.AssignTrainers(e.ctx, unassigned, fresh, []string{"bea"}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("assign: %v", err)
		}
		if err := e.store.AssignTrainers(e.ctx, assigned, fresh, []string{"cam", "bea"}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("assign by an assigned trainer: %v", err)
		}
		if err := e.store.Close(e.ctx, unassigned, fresh, OutcomeDropped, ""); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("close: %v", err)
		}
		after, _ := e.store.Get(e.ctx, c.ID)
		if after.Stage == StageClosed || len(after.TrainerIDs) != 1 {
			t.Errorf("the case changed: stage %s, trainers %v", after.Stage, after.TrainerIDs)
		}
		if err := e.store.Close(e.ctx, assigned, fresh, OutcomeSuccess, "Autonomes"); err != nil {
			t.Errorf("close by its trainer: %v", err)
		}
	})
}

// The access matrix of cases, in the domain: a case of another host is not
// found, whatever the role; on SQLite and on PostgreSQL.
func TestAccessMatrixOfCases(t *testing.T) {
	e := newEnv(t)
	c, _ := sentCheckin(t, e)
	for _, tc := range []struct {
		name  string
		actor *accounts.User
		sees  bool
	}{
		{"an administrator", testAdmin, true},
		{"staff of the case's host", &accounts.User{ID: "s", Role: accounts.RoleStaff, HostID: c.HostID}, true},
		{"a trainer of the case's host", &accounts.User{ID: "t", Role: accounts.RoleTrainer, HostID: c.HostID}, true},
		{"staff of another host", &accounts.User{ID: "o", Role: accounts.RoleStaff, HostID: "elsewhere"}, false},
		{"a trainer of another host", &accounts.User{ID: "p", Role: accounts.RoleTrainer, HostID: "elsewhere"}, false},
		{"an account without host", &accounts.User{ID: "q", Role: accounts.RoleStaff}, false},
		{"nobody", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.store.ForStaff(e.ctx, tc.actor, c.ID)
			switch {
			case tc.sees && (err != nil || got.ID != c.ID):
				t.Errorf("does not see the case: %v", err)
			case !tc.sees && !errors.Is(err, apperr.ErrNotFound):
				t.Errorf("sees the case: %v", err)
			}
			if HostScope(testAdmin, "x") != "x" || (tc.actor != nil && !tc.actor.Admin() && HostScope(tc.actor, "x") != tc.actor.HostID) {
				t.Error("HostScope lets a staff member pick another host")
			}
		})
	}
}
