package rights_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database/dbtest"
	"archipel/rights"
)

func TestStaffExportAndDeletion(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	seedHost(t, db, "h-a")
	a := seedAssociation(t, db, "A", "h-a")
	const email, name = "leaving.member@staff.example", "Dominique Partante"
	exec(t, db, `INSERT INTO staff_users (id, email, name, role, host_id, created_at, updated_at) VALUES ('s-leave', $1, $2, 'staff', 'h-a', $3, $3)`, email, name, now)
	exec(t, db, `INSERT INTO staff_users (id, email, name, role, created_at, updated_at) VALUES ('adm', 'adm@staff.example', 'Admin', 'admin', $1, $1)`, now)
	exec(t, db, `INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ('sess-leave', 's-leave', $1, $1, $1)`, now)
	exec(t, db, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail) VALUES ($1, 's-leave', $2, 'approve', 'h-a', $3, 'approved')`, now, email, a.ID)
	exec(t, db, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, detail) VALUES ($1, 'adm', 'adm@staff.example', 'user_disabled', 'h-a', $2)`, now, email)
	exec(t, db, `INSERT INTO application_events (application_id, kind, actor, created_at) VALUES ($1, 'approved', $2, $3)`, a.ID, email, now)
	exec(t, db, `INSERT INTO application_notes (application_id, author_id, author_name, body, created_at) VALUES ($1, 's-leave', $2, 'Appeler mardi', $3)`, a.ID, name, now)
	exec(t, db, `UPDATE interviews SET created_by = $1 WHERE application_id = $2`, email, a.ID)
	exec(t, db, `INSERT INTO mail_outbox (id, message_id, to_addr, to_name, subject, status, next_attempt_at, created_at) VALUES ('inv', 'inv', $1, $2, 'Invitation', 'sent', $3, $3)`, email, name, now)
	exec(t, db, `INSERT INTO case_trainers (case_id, user_id) VALUES ($1, 's-leave')`, a.CaseID)
	store := rights.NewStore(db, nil)
	leaving := &accounts.User{ID: "s-leave", Email: email, Name: name, Role: accounts.RoleStaff, HostID: "h-a"}
	admin := &accounts.User{ID: "adm", Email: "adm@staff.example", Role: accounts.RoleAdmin}

	t.Run("a staff member exports their own data", func(t *testing.T) {
		e, err := store.ExportStaff(ctx, leaving)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(e)
		for _, want := range []string{email, name, "Appeler mardi", `"action":"approve"`} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("export lacks %s", want)
			}
		}
		if len(e.Sessions) != 1 || strings.Contains(string(raw), "sess-leave") {
			t.Errorf("sessions %d, or a session token in the export", len(e.Sessions))
		}
	})
	t.Run("only an administrator deletes an account, never their own", func(t *testing.T) {
		if _, err := store.DeleteStaff(ctx, leaving, "adm"); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("staff deleted an account: %v", err)
		}
		if _, err := store.DeleteStaff(ctx, admin, "adm"); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("an administrator deleted themselves: %v", err)
		}
	})
	t.Run("deletion keeps the actions under a pseudonym and nothing else of the person", func(t *testing.T) {
		pseudo, err := store.DeleteStaff(ctx, admin, "s-leave")
		if err != nil {
			t.Fatal(err)
		}
		if pseudo != rights.Pseudonym("s-leave") {
			t.Errorf("pseudonym %q", pseudo)
		}
		cols := textColumns(t, db)
		for _, v := range []string{email, name} {
			if where := findEverywhere(t, db, cols, v); len(where) > 0 {
				t.Errorf("%q still in %v", v, where)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE actor_id = 's-leave' AND actor_email = $1 AND action = 'approve'`, pseudo); n != 1 {
			t.Errorf("the approval is not kept under the pseudonym (%d)", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM application_notes WHERE author_name = $1 AND body = 'Appeler mardi'`, pseudo); n != 1 {
			t.Error("the note is not kept under the pseudonym")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM staff_sessions WHERE user_id = 's-leave'`) + count(t, db, `SELECT COUNT(*) FROM case_trainers WHERE user_id = 's-leave'`); n != 0 {
			t.Error("sessions or case assignments left")
		}
		reg, err := store.Register(ctx, admin, 0)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, e := range reg {
			if e.Kind == rights.KindStaffExport && e.RequestedBy == pseudo {
				found = true
			}
		}
		if !found {
			t.Errorf("the register does not show the deleted member's export under the pseudonym: %+v", reg)
		}
	})
	t.Run("the last administrator cannot be deleted", func(t *testing.T) {
		other := &accounts.User{ID: "other", Role: accounts.RoleAdmin}
		if _, err := store.DeleteStaff(ctx, other, "adm"); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("err = %v", err)
		}
	})
}
