package training

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// caseWorkflow is a change staff make to a case, with its audit line: how
// to make it as an actor, and whether the database shows it made.
type caseWorkflow struct {
	name   string
	action accounts.Action
	do     func(e *env, actor *accounts.User, c *Case, audit database.Then) error
	made   func(e *env, c *Case) bool
	// who may make it, of the case's host (administrators always may,
	// another host's accounts never).
	staff, assignedTrainer, otherTrainer bool
}

func caseWorkflows() []caseWorkflow {
	return []caseWorkflow{
		{name: "choosing its trainers", action: "case_trainers", staff: true,
			do: func(e *env, actor *accounts.User, c *Case, audit database.Then) error {
				return e.store.AssignTrainers(e.ctx, actor, c, []string{"bea"}, func([]string) database.Then { return audit })
			},
			made: func(e *env, c *Case) bool {
				got, _ := e.store.Get(e.ctx, c.ID)
				return slices.Equal(got.TrainerIDs, []string{"bea"})
			}},
		{name: "closing it", action: "case_close", staff: true, assignedTrainer: true,
			do: func(e *env, actor *accounts.User, c *Case, audit database.Then) error {
				return e.store.Close(e.ctx, actor, c, OutcomeDropped, "Plus de bénévoles", audit)
			},
			made: func(e *env, c *Case) bool {
				got, _ := e.store.Get(e.ctx, c.ID)
				closed := got.Stage == StageClosed
				// Its pending check-ins stop in the same transaction.
				if stopped := !slices.Contains(e.statuses(c.ID), CheckinScheduled); stopped != closed {
					e.t.Errorf("closed %t but pending check-ins stopped %t", closed, stopped)
				}
				return closed
			}},
		{name: "recording a session", action: "session_add", staff: true, assignedTrainer: true, otherTrainer: true,
			do: func(e *env, actor *accounts.User, c *Case, audit database.Then) error {
				s := Session{TrainerID: "cam", StartsAt: e.clock.Now().Add(day), Minutes: 60, Format: FormatRemote, Notes: "ajoutée"}
				return e.store.AddSession(e.ctx, actor, c, &s, func(*Session) database.Then { return audit })
			},
			made: func(e *env, c *Case) bool {
				ss, _ := e.store.Sessions(e.ctx, c.ID)
				return slices.ContainsFunc(ss, func(s Session) bool { return s.Notes == "ajoutée" })
			}},
		{name: "changing a session", action: "session_update", staff: true, assignedTrainer: true, otherTrainer: true,
			do: func(e *env, actor *accounts.User, c *Case, audit database.Then) error {
				ss, err := e.store.Sessions(e.ctx, c.ID)
				if err != nil || len(ss) == 0 {
					return fmt.Errorf("no session to change: %v", err)
				}
				s := ss[0]
				s.Notes = "changée"
				return e.store.UpdateSession(e.ctx, actor, c, &s, func(*Session) database.Then { return audit })
			},
			made: func(e *env, c *Case) bool {
				ss, _ := e.store.Sessions(e.ctx, c.ID)
				return len(ss) > 0 && ss[0].Notes == "changée"
			}},
		{name: "adding a topic to its host's catalogue", action: "topic_add", staff: true,
			do: func(e *env, actor *accounts.User, c *Case, audit database.Then) error {
				_, err := e.store.AddTopic(e.ctx, actor, c.HostID, TopicForm{LabelFR: "Comptabilité " + c.ID[:8]}, func(Topic) database.Then { return audit })
				return err
			},
			made: func(e *env, c *Case) bool {
				ts, _ := e.store.Topics(e.ctx, testAdmin, c.HostID)
				return slices.ContainsFunc(ts, func(t Topic) bool { return t.LabelFR == "Comptabilité "+c.ID[:8] })
			}},
	}
}

// workflowEnv is a host "h1" with staff "sta", trainers "cam" and "bea",
// and another host "h2" with its staff "far".
func workflowEnv(t *testing.T) *env {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7,30")
	e.seedHost("h2", "Le Continent", "")
	e.staff("sta", "h1", "staff", "Sacha")
	e.staff("cam", "h1", "trainer", "Camille")
	e.staff("bea", "h1", "trainer", "Béatrice")
	e.staff("far", "h2", "staff", "Farid")
	return e
}

// freshCase opens a case of h1 with "cam" as its trainer, a session, and
// its check-ins scheduled.
func (e *env) freshCase(name string) *Case {
	e.t.Helper()
	app := e.seedWorkspace(workspace{host: "h1", name: name, email: "contact@asso.example"})
	if _, err := e.store.OpenCases(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	c := e.caseOf(app)
	if err := e.store.AssignTrainers(e.ctx, testAdmin, c, []string{"cam"}); err != nil {
		e.t.Fatal(err)
	}
	s := Session{TrainerID: "cam", StartsAt: e.clock.Now().Add(2 * day), Minutes: 90, Format: FormatRemote}
	if err := e.store.AddSession(e.ctx, testAdmin, c, &s); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) auditLines(action, applicationID string) (n int) {
	e.t.Helper()
	if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = $1 AND application_id = $2`, action, applicationID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestCaseWorkflowsCommitWithTheirAuditLine checks that each change to a
// case and its audit line commit in one transaction: when the audit write
// fails, nothing of the change is kept (in the database or in memory);
// otherwise both are, once.
func TestCaseWorkflowsCommitWithTheirAuditLine(t *testing.T) {
	e := workflowEnv(t)
	audit := accounts.NewStore(e.db, nil)
	gone, cancel := context.WithCancel(e.ctx)
	cancel()
	for i, w := range caseWorkflows() {
		t.Run(w.name, func(t *testing.T) {
			e.t = t
			c := e.freshCase(fmt.Sprintf("Association %d", i))
			before := *c
			t.Run("a failing audit write keeps nothing", func(t *testing.T) {
				e.t = t
				err := w.do(e, testAdmin, c, audit.RecordIn(gone, testAdmin, w.action, c.HostID, c.ApplicationID, ""))
				if err == nil {
					t.Fatal("made without its audit line")
				}
				if w.made(e, c) {
					t.Error("the change was kept")
				}
				if n := e.auditLines(string(w.action), c.ApplicationID); n != 0 {
					t.Errorf("%d audit lines kept", n)
				}
				if c.Stage != before.Stage || c.Version != before.Version || !slices.Equal(c.TrainerIDs, before.TrainerIDs) {
					t.Errorf("the case in memory changed: %+v", c)
				}
			})
			t.Run("a written audit line keeps both", func(t *testing.T) {
				e.t = t
				if err := w.do(e, testAdmin, c, audit.RecordIn(e.ctx, testAdmin, w.action, c.HostID, c.ApplicationID, "")); err != nil {
					t.Fatal(err)
				}
				if !w.made(e, c) || e.auditLines(string(w.action), c.ApplicationID) != 1 {
					t.Errorf("made %t, %d audit lines; want true, 1", w.made(e, c), e.auditLines(string(w.action), c.ApplicationID))
				}
			})
		})
	}
}

// TestWhoMayChangeACase is the access matrix of the changes to a case, in
// the domain: each workflow × role × host, on SQLite and PostgreSQL. An
// account of another host gets "not found" (as if the case did not
// exist), one of the case's host whose role does not allow the change
// "forbidden"; neither changes anything.
func TestWhoMayChangeACase(t *testing.T) {
	e := workflowEnv(t)
	actors := []struct {
		name  string
		actor *accounts.User
	}{
		{"an administrator", testAdmin},
		{"the host's staff", &accounts.User{ID: "sta", Role: accounts.RoleStaff, HostID: "h1"}},
		{"its assigned trainer", &accounts.User{ID: "cam", Role: accounts.RoleTrainer, HostID: "h1"}},
		{"another trainer of the host", &accounts.User{ID: "bea", Role: accounts.RoleTrainer, HostID: "h1"}},
		{"another host's staff", &accounts.User{ID: "far", Role: accounts.RoleStaff, HostID: "h2"}},
		{"a staff account without host", &accounts.User{ID: "nob", Role: accounts.RoleStaff}},
		{"nobody", nil},
	}
	n := 0
	for _, w := range caseWorkflows() {
		for _, a := range actors {
			want := map[string]bool{"an administrator": true, "the host's staff": w.staff,
				"its assigned trainer": w.assignedTrainer, "another trainer of the host": w.otherTrainer}[a.name]
			sameHost := a.actor != nil && (a.actor.Admin() || a.actor.HostID == "h1")
			verb := map[bool]string{true: "may", false: "may not"}[want]
			t.Run(a.name+" "+verb+" do "+w.name, func(t *testing.T) {
				e.t = t
				n++
				c := e.freshCase(fmt.Sprintf("Matrice %d", n))
				err := w.do(e, a.actor, c, nil)
				switch {
				case want && err != nil:
					t.Fatalf("refused: %v", err)
				case want && !w.made(e, c):
					t.Error("not made")
				case !want && sameHost && !errors.Is(err, apperr.ErrForbidden):
					t.Errorf("got %v, want forbidden", err)
				case !want && !sameHost && !errors.Is(err, apperr.ErrNotFound):
					t.Errorf("got %v, want not found", err)
				case !want && w.made(e, c):
					t.Error("refused, yet made")
				}
			})
		}
	}
}

// TestFeedAndStopCommitWithTheirAuditLine checks that a new calendar feed
// and an association stopping its check-ins commit with their audit line:
// when it fails, the old feed still opens and the check-ins go on.
func TestFeedAndStopCommitWithTheirAuditLine(t *testing.T) {
	e := newEnv(t)
	c, token := sentCheckin(t, e)
	e.staff("cam", c.HostID, "trainer", "Camille")
	cam := &accounts.User{ID: "cam", Role: accounts.RoleTrainer, HostID: c.HostID}
	audit := accounts.NewStore(e.db, nil)
	gone, cancel := context.WithCancel(e.ctx)
	cancel()
	lines := func(action accounts.Action) (n int) {
		t.Helper()
		if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("a new calendar feed", func(t *testing.T) {
		first, err := e.store.NewFeedToken(e.ctx, cam)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.store.NewFeedToken(e.ctx, cam, audit.RecordIn(gone, cam, accounts.ActionCalendarFeedNew, c.HostID, "", "")); err == nil || got != "" {
			t.Fatalf("made without its audit line: %q, %v", got, err)
		}
		if id, err := e.store.FeedUser(e.ctx, first); err != nil || id != "cam" || lines(accounts.ActionCalendarFeedNew) != 0 {
			t.Errorf("the first feed: %q, %v; %d audit lines", id, err, lines(accounts.ActionCalendarFeedNew))
		}
		if _, err := e.store.NewFeedToken(e.ctx, nil); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("a feed for nobody: %v", err)
		}
	})
	t.Run("the association stops its check-ins", func(t *testing.T) {
		then := func(a database.Then) func(*Case) database.Then { return func(*Case) database.Then { return a } }
		if _, err := e.store.StopCheckins(e.ctx, token, then(audit.RecordIn(gone, nil, accounts.ActionCheckinsStopped, c.HostID, c.ApplicationID, ""))); err == nil {
			t.Fatal("stopped without its audit line")
		}
		if got := e.caseOf(c.ApplicationID); got.CheckinsStopped || slices.Contains(e.statuses(c.ID), CheckinStopped) || lines(accounts.ActionCheckinsStopped) != 0 {
			t.Errorf("a failing audit write kept the stop: %t, %v", got.CheckinsStopped, e.statuses(c.ID))
		}
		if _, err := e.store.StopCheckins(e.ctx, token, then(audit.RecordIn(e.ctx, nil, accounts.ActionCheckinsStopped, c.HostID, c.ApplicationID, ""))); err != nil {
			t.Fatal(err)
		}
		if got := e.caseOf(c.ApplicationID); !got.CheckinsStopped || lines(accounts.ActionCheckinsStopped) != 1 {
			t.Errorf("stopped %t, %d audit lines", got.CheckinsStopped, lines(accounts.ActionCheckinsStopped))
		}
	})
}
