package rights_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database/dbtest"
	"archipel/mail"
	"archipel/rights"
)

func TestStaffRefuseAnErasureWithAReason(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	seedHost(t, db, "h-a")
	seedHost(t, db, "h-b")
	a := seedAssociation(t, db, "A", "h-a")
	store := rights.NewStore(db, nil)
	queue := mail.NewQueue(db, &recordSender{}, slog.New(slog.DiscardHandler), mail.QueueOptions{})
	store.Postman = &mail.Postman{Renderer: echoRenderer{}, Queue: queue}
	staffA := &accounts.User{ID: "staff-a", Email: "a@staff.example", Role: accounts.RoleStaff, HostID: "h-a"}
	staffB := &accounts.User{ID: "staff-b", Email: "b@staff.example", Role: accounts.RoleStaff, HostID: "h-b"}
	trainerA := &accounts.User{ID: "trainer-a", Role: accounts.RoleTrainer, HostID: "h-a"}
	reason := rights.Refusal{Reason: "  Nos statuts imposent de garder les adhésions cinq ans.  "}

	if _, err := store.RefuseErasure(ctx, staffA, a.ID, reason); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("refused without any request: %v, want conflict", err)
	}
	asked, _, err := store.AskErasure(ctx, a.ID, rights.NextcloudKeep)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		actor *accounts.User
		r     rights.Refusal
		code  apperr.Code
	}{
		{"staff of another host get not found", staffB, reason, apperr.NotFound},
		{"a trainer of the host gets not found", trainerA, reason, apperr.NotFound},
		{"a refusal without a reason is invalid", staffA, rights.Refusal{Reason: " \n "}, apperr.Invalid},
		{"a reason over the limit is invalid", staffA, rights.Refusal{Reason: strings.Repeat("é", rights.MaxReasonLength+1)}, apperr.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := store.RefuseErasure(ctx, tc.actor, a.ID, tc.r); apperr.CodeOf(err) != tc.code {
				t.Errorf("err = %v, want %s", err, tc.code)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM rights_requests WHERE id = $1 AND status = 'open'`, asked.ID); n != 1 {
				t.Error("the request was answered")
			}
		})
	}

	got, err := store.RefuseErasure(ctx, staffA, a.ID, reason)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(reason.Reason)
	t.Run("the register line is refused with its reason, answered by the staff member", func(t *testing.T) {
		if got.Status != rights.StatusRefused || got.Reason != want {
			t.Errorf("returned %+v", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM rights_requests WHERE id = $1 AND status = 'refused' AND reason = $2
			AND answered_by = 'staff-a' AND answered_at IS NOT NULL`, asked.ID, want); n != 1 {
			t.Error("register line not refused")
		}
	})
	t.Run("the timeline and the audit log say so", func(t *testing.T) {
		if n := count(t, db, `SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND kind = 'erasure_refused' AND public`, a.ID); n != 1 {
			t.Errorf("%d timeline entries", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE application_id = $1 AND action = 'rights_erasure_refused'
			AND actor_id = 'staff-a' AND host_id = 'h-a'`, a.ID); n != 1 {
			t.Errorf("%d audit lines", n)
		}
	})
	t.Run("the association gets one e-mail with the reason, about its request", func(t *testing.T) {
		if n := count(t, db, `SELECT COUNT(*) FROM mail_outbox WHERE tag = 'erasure_refused' AND to_addr = $1 AND application_id = $2
			AND text_body LIKE $3 AND NOT forget_sent`, a.Values[1]+"@example.org", a.ID, "%"+want+"%"); n != 1 {
			t.Errorf("%d e-mails", n)
		}
	})
	t.Run("nothing is erased", func(t *testing.T) {
		for _, v := range a.Values[:3] {
			if n := count(t, db, `SELECT COUNT(*) FROM applications WHERE id = $1 AND erased_at IS NULL AND answers LIKE $2`, a.ID, "%"+v+"%"); n != 1 {
				t.Errorf("%q is gone", v)
			}
		}
	})
	t.Run("a second refusal finds nothing open", func(t *testing.T) {
		if _, err := store.RefuseErasure(ctx, staffA, a.ID, reason); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("err = %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM mail_outbox WHERE tag = 'erasure_refused'`); n != 1 {
			t.Errorf("%d e-mails after a second try", n)
		}
	})
	t.Run("the association reads the refusal and its reason, until it asks again", func(t *testing.T) {
		st, err := store.ErasureStateOf(ctx, rights.Requester{}, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending != nil || st.Refused == nil || st.Refused.Reason != want {
			t.Fatalf("state %+v", st)
		}
		if _, _, err := store.AskErasure(ctx, a.ID, rights.NextcloudKeep); err != nil {
			t.Fatal(err)
		}
		if st, err = store.ErasureStateOf(ctx, rights.Requester{}, a.ID); err != nil || st.Pending == nil || st.Refused != nil {
			t.Errorf("after asking again: %+v, %v", st, err)
		}
	})
}

func TestAnErasedRequestKeepsOnlyItsRecordForItsHost(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	seedHost(t, db, "h-a")
	seedHost(t, db, "h-b")
	a := seedAssociation(t, db, "A", "h-a")
	exec(t, db, `UPDATE provisioning_jobs SET status = 'succeeded'`)
	seedRequest(t, db, "d1", "draft", now)
	exec(t, db, `UPDATE applications SET host_id = 'h-a' WHERE id = 'd1'`)
	store := rights.NewStore(db, nil)
	staffA := &accounts.User{ID: "staff-a", Name: "Camille", Email: "a@staff.example", Role: accounts.RoleStaff, HostID: "h-a"}
	exec(t, db, `INSERT INTO staff_users (id, email, name, role, host_id, created_at, updated_at) VALUES ('staff-a', 'a@staff.example', 'Camille', 'staff', 'h-a', $1, $1)`, now)
	if _, err := store.ErasedFor(ctx, staffA, a.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("a request not erased has a record: %v", err)
	}
	if _, _, err := store.AskErasure(ctx, a.ID, rights.NextcloudKeep); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ConfirmErasure(ctx, staffA, a.ID, rights.NextcloudKeep); err != nil {
		t.Fatal(err)
	}
	if _, done, err := store.AskErasure(ctx, "d1", rights.NextcloudKeep); err != nil || !done {
		t.Fatalf("draft: %v, %v", done, err)
	}
	for _, tc := range []struct {
		name  string
		actor *accounts.User
		id    string
		found bool
	}{
		{"staff of its host read it", staffA, a.ID, true},
		{"a trainer of its host reads it", &accounts.User{ID: "t", Role: accounts.RoleTrainer, HostID: "h-a"}, a.ID, true},
		{"an administrator reads it", &accounts.User{ID: "adm", Role: accounts.RoleAdmin}, a.ID, true},
		{"staff of another host do not", &accounts.User{ID: "b", Role: accounts.RoleStaff, HostID: "h-b"}, a.ID, false},
		{"nobody signed in does not", nil, a.ID, false},
		{"a draft the association erased itself has none", staffA, "d1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := store.ErasedFor(ctx, tc.actor, tc.id)
			if !tc.found {
				if !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("err = %v, want not found", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !rec.ByAssociation || rec.AnsweredBy != "Camille" || rec.AnsweredAt.IsZero() || rec.RequestedAt.IsZero() || rec.Nextcloud != rights.NextcloudKeep {
				t.Errorf("record %+v", rec)
			}
		})
	}
}
