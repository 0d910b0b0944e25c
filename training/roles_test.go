package training

import (
	"errors"
	"slices"
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

// The access matrix of what the accompaniment's pages list, in the domain:
// the cases (List, Board), the funders' report, the catalogue, the to-do
// counts and the dashboard, for every role on the case's host, another
// host and none, asking for the case's host or for every host; on SQLite
// and on PostgreSQL. Asking for another host changes nothing for a
// non-administrator: they get their own host's, never the case.
func TestAccessMatrixOfCaseLists(t *testing.T) {
	e := workflowEnv(t)
	c := e.freshCase("Les Amis du Vélo")
	// A flag, so that the to-do and the dashboard list the case.
	e.exec(`INSERT INTO case_flags (case_id, flag, raised_at) VALUES ($1, $2, $3)`, c.ID, FlagCheckinUnanswered, t0)
	period := Period{From: t0.Add(-day), To: t0.Add(30 * day)}
	for _, tc := range []struct {
		name                   string
		actor                  *accounts.User
		sees, reports, catalog bool
		refused                error // for lists and the dashboard
	}{
		{"an administrator", testAdmin, true, true, true, nil},
		{"staff of the case's host", &accounts.User{ID: "sta", Role: accounts.RoleStaff, HostID: "h1"}, true, true, true, nil},
		{"its trainer", &accounts.User{ID: "cam", Role: accounts.RoleTrainer, HostID: "h1"}, true, false, true, nil},
		{"another trainer of the host", &accounts.User{ID: "bea", Role: accounts.RoleTrainer, HostID: "h1"}, true, false, true, nil},
		{"staff of another host", &accounts.User{ID: "far", Role: accounts.RoleStaff, HostID: "h2"}, false, true, false, nil},
		{"a staff account without host", &accounts.User{ID: "nob", Role: accounts.RoleStaff}, false, false, false, apperr.ErrNotFound},
		{"nobody", nil, false, false, false, apperr.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			for _, asked := range []string{"", "h1", "h2"} {
				list, err := e.store.List(e.ctx, tc.actor, asked)
				if tc.refused != nil {
					if !errors.Is(err, tc.refused) {
						t.Errorf("list (asking %q): %v, want %v", asked, err, tc.refused)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				// An administrator asking for h2 gets h2's: not the case.
				want := tc.sees && !(tc.actor.Admin() && asked == "h2")
				if got := slices.ContainsFunc(list, func(x Case) bool { return x.ID == c.ID }); got != want {
					t.Errorf("list (asking %q) shows the case: %t", asked, got)
				}
				for _, x := range list {
					if !tc.actor.Admin() && x.HostID != tc.actor.HostID {
						t.Errorf("list (asking %q) shows a case of %s", asked, x.HostID)
					}
				}
				cols, err := e.store.Board(e.ctx, tc.actor, asked)
				if (tc.refused != nil) != (err != nil) {
					t.Errorf("board (asking %q): %v", asked, err)
				}
				onBoard := false
				for _, col := range cols {
					onBoard = onBoard || slices.ContainsFunc(col.Cards, func(x Card) bool { return x.ID == c.ID })
				}
				if onBoard != want {
					t.Errorf("board (asking %q) shows the case: %t", asked, onBoard)
				}
				rows, err := e.store.Report(e.ctx, tc.actor, asked, period)
				switch {
				case tc.refused != nil && !errors.Is(err, tc.refused):
					t.Errorf("report (asking %q): %v, want %v", asked, err, tc.refused)
				case tc.refused == nil && !tc.reports && !errors.Is(err, apperr.ErrForbidden):
					t.Errorf("report (asking %q): %v, want forbidden", asked, err)
				case tc.reports && err != nil:
					t.Errorf("report (asking %q): %v", asked, err)
				}
				inReport := slices.ContainsFunc(rows, func(r ReportRow) bool { return r.HostID == "h1" && r.Associations == 1 })
				if wantRow := tc.reports && want; inReport != wantRow {
					t.Errorf("report (asking %q) counts the case's host: %t, want %t", asked, inReport, wantRow)
				}
			}
			_, err := e.store.Topics(e.ctx, tc.actor, "h1")
			if tc.catalog != (err == nil) || (!tc.catalog && !errors.Is(err, apperr.ErrNotFound)) {
				t.Errorf("the host's catalogue: %v", err)
			}
			todo, err := e.store.Todo(e.ctx, tc.actor)
			if tc.refused != nil {
				if !errors.Is(err, tc.refused) {
					t.Errorf("todo: %v, want %v", err, tc.refused)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if listed := slices.ContainsFunc(todo.FlaggedItems, func(x CaseItem) bool { return x.ID == c.ID }); listed != tc.sees {
				t.Errorf("todo lists the case: %t", listed)
			}
			d, err := e.store.Dashboard(e.ctx, tc.actor)
			if tc.refused != nil {
				if !errors.Is(err, tc.refused) {
					t.Errorf("dashboard: %v, want %v", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// A trainer's dashboard covers the cases they accompany.
			wantFlagged := tc.sees && (tc.actor.Role != accounts.RoleTrainer || tc.actor.ID == "cam")
			if flagged := slices.ContainsFunc(d.Flagged, func(x Card) bool { return x.ID == c.ID }); flagged != wantFlagged {
				t.Errorf("dashboard (%s) flags the case: %t, want %t", d.Covers, flagged, wantFlagged)
			}
		})
	}
}
