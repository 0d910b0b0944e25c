package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/database"
	"archipel/provisioning/simulator"
	"archipel/training"
)

// refuseInserts makes the database refuse, until the returned function is
// called, every row of table whose column holds value: the write of that
// row fails, and with it the transaction it is part of.
func refuseInserts(t *testing.T, db *database.DB, table, column, value string) (allow func()) {
	t.Helper()
	ctx := context.Background()
	name := "refuse_" + table
	create := []string{fmt.Sprintf(`CREATE TRIGGER %s BEFORE INSERT ON %s WHEN NEW.%s = '%s'
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`, name, table, column, value)}
	drop := []string{`DROP TRIGGER ` + name}
	if db.Dialect == database.Postgres {
		create = []string{
			fmt.Sprintf(`CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN RAISE EXCEPTION 'refused by the test'; END $$`, name),
			fmt.Sprintf(`CREATE TRIGGER %s BEFORE INSERT ON %s FOR EACH ROW WHEN (NEW.%s = '%s') EXECUTE FUNCTION %s()`,
				name, table, column, value, name),
		}
		drop = []string{fmt.Sprintf(`DROP TRIGGER %s ON %s`, name, table), fmt.Sprintf(`DROP FUNCTION %s()`, name)}
	}
	for _, q := range create {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("refuse inserts: %v", err)
		}
	}
	done := false
	allow = func() {
		if done {
			return
		}
		done = true
		for _, q := range drop {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("allow inserts: %v", err)
			}
		}
	}
	t.Cleanup(allow)
	return allow
}

// queued counts the e-mails of one template waiting in (or gone from) the
// outbox for an address.
func queued(t *testing.T, db *database.DB, to, tag string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM mail_outbox WHERE to_addr = $1 AND tag = $2`,
		to, tag).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDisablingAWorkspaceQueuesItsEmailInItsTransaction checks that the
// association's e-mail about its workspace disabled commits with the
// record of the disabling: none when that transaction fails (here at its
// audit line), exactly one when it commits.
func TestDisablingAWorkspaceQueuesItsEmailInItsTransaction(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	sim := app.reqConnect("h-lyon")
	_, id := app.reqSubmit("fr", "anne@velo.example", "Vélo pour tous")
	if err := sim.AddUser(simulator.Account{ID: "velo-anne", Email: "anne@velo.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB.ExecContext(ctx, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
		VALUES ($1, 'h-lyon', 'https://cloud.example/login', 'velo-anne', 'velo', 'Velo', 1, $2)`, id, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	page := "/staff/requests/" + id
	disabled := func() int {
		return app.reqCount(`SELECT COUNT(*) FROM workspaces WHERE application_id = $1 AND disabled_at IS NOT NULL`, id)
	}

	t.Run("when the transaction fails no e-mail is queued", func(t *testing.T) {
		allow := refuseInserts(t, app.DB, "audit_log", "action", "workspace_disabled")
		if res := staff.post(page+"/workspace/disable", nil); res.Status != http.StatusInternalServerError {
			t.Fatalf("status %d", res.Status)
		}
		allow()
		if n := queued(t, app.DB, "anne@velo.example", "workspace_disabled"); n != 0 {
			t.Errorf("%d e-mails queued for a change that was not kept", n)
		}
		if disabled() != 0 {
			t.Error("the disabling was recorded without its audit line")
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND kind = 'workspace_disabled'`, id); n != 0 {
			t.Errorf("%d timeline entries kept", n)
		}
	})
	t.Run("when it commits exactly one is", func(t *testing.T) {
		reqExpect(t, staff.post(page+"/workspace/disable", nil), http.StatusSeeOther, page+"?notice=disabled")
		if n := queued(t, app.DB, "anne@velo.example", "workspace_disabled"); n != 1 {
			t.Errorf("%d e-mails queued", n)
		}
		if disabled() != 1 {
			t.Error("the disabling was not recorded")
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM audit_log WHERE application_id = $1 AND action = 'workspace_disabled'`, id); n != 1 {
			t.Errorf("%d audit lines", n)
		}
		if len(app.reqMailsTagged("anne@velo.example", "workspace_disabled")) != 1 {
			t.Error("the e-mail was not sent")
		}
	})
}

// TestShowcaseConsentEmailIsQueuedWithItsLink checks that the e-mail
// asking an association's consent commits with the private link it
// carries and the audit line: none when the transaction fails, exactly one
// when it commits.
func TestShowcaseConsentEmailIsQueuedWithItsLink(t *testing.T) {
	e := newShowcaseEnv(t)
	c := e.successCase("h-lyon", "Les Jardins partagés", "69", "fr")
	if _, _, err := e.sc.Save(e.ctx, &accounts.User{ID: "admin", Role: accounts.RoleAdmin}, c, storyText("Les Jardins partagés", "69"), 0); err != nil {
		t.Fatal(err)
	}
	staff := e.staff(accounts.RoleStaff, "h-lyon")
	path := "/staff/cases/" + c.ID + "/showcase/ask"
	links := func() (n int) {
		t.Helper()
		if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM showcase_links`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	status := func() training.ShowcaseStatus {
		t.Helper()
		entry, err := e.sc.ForCase(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return entry.Status
	}
	before := status()

	t.Run("when the transaction fails no e-mail is queued", func(t *testing.T) {
		allow := refuseInserts(t, e.db, "audit_log", "action", "showcase_asked")
		if r := e.post(path, nil, staff); r.Status != http.StatusInternalServerError {
			t.Fatalf("status %d", r.Status)
		}
		allow()
		if n := queued(t, e.db, c.ContactEmail, "showcase_consent"); n != 0 {
			t.Errorf("%d e-mails queued", n)
		}
		if n := links(); n != 0 {
			t.Errorf("%d private links kept", n)
		}
		if st := status(); st != before {
			t.Errorf("status %s kept", st)
		}
	})
	t.Run("a refused e-mail keeps neither the link nor the change", func(t *testing.T) {
		allow := refuseInserts(t, e.db, "mail_outbox", "tag", "showcase_consent")
		if r := e.post(path, nil, staff); r.Status != http.StatusInternalServerError {
			t.Fatalf("status %d", r.Status)
		}
		allow()
		if n := links(); n != 0 {
			t.Errorf("%d private links kept", n)
		}
		if n := e.reqAudit("showcase_asked"); n != 0 {
			t.Errorf("%d audit lines kept", n)
		}
	})
	t.Run("when it commits exactly one is", func(t *testing.T) {
		if r := e.post(path, nil, staff); r.Status != http.StatusSeeOther {
			t.Fatalf("status %d", r.Status)
		}
		if n := queued(t, e.db, c.ContactEmail, "showcase_consent"); n != 1 {
			t.Errorf("%d e-mails queued", n)
		}
		if n := links(); n != 1 {
			t.Errorf("%d private links", n)
		}
		if n := e.reqAudit("showcase_asked"); n != 1 {
			t.Errorf("%d audit lines", n)
		}
		if mails, links := e.consentMails(c.ContactEmail); len(mails) != 1 || links[0] == "" {
			t.Errorf("%d consent e-mails sent", len(mails))
		}
	})
}

// reqAudit counts the audit lines of an action.
func (e *showcaseEnv) reqAudit(action string) (n int) {
	e.tb.Helper()
	if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		e.tb.Fatal(err)
	}
	return n
}

// TestStaffLinksAreQueuedWithTheirLink checks that invitations (first and
// again) and password resets queue their e-mail in the transaction that
// stores the link (and the account, and the audit line): none when it
// fails, exactly one when it commits.
func TestStaffLinksAreQueuedWithTheirLink(t *testing.T) {
	app := newTestApp(t)
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	const addr = "dominique@recif.example"
	invite := url.Values{"user_email": {addr}, "user_name": {"Dominique"}, "user_role": {"staff"},
		"user_host": {"h-all"}, "user_language": {"fr"}}
	tokens := func(purpose string) int {
		return app.reqCount(`SELECT COUNT(*) FROM staff_tokens t JOIN staff_users u ON u.id = t.user_id WHERE u.email = $1 AND t.purpose = $2`,
			addr, purpose)
	}

	t.Run("a failed invitation queues no e-mail and keeps no account", func(t *testing.T) {
		allow := refuseInserts(t, app.DB, "audit_log", "action", "user_invited")
		adminExpect(t, admin.post("/staff/admin/users", invite), http.StatusInternalServerError, "")
		allow()
		if n := queued(t, app.DB, addr, "staff_invite"); n != 0 {
			t.Errorf("%d e-mails queued", n)
		}
		if n := app.reqCount(`SELECT COUNT(*) FROM staff_users WHERE email = $1`, addr); n != 0 {
			t.Errorf("%d accounts kept", n)
		}
	})
	t.Run("an invitation queues exactly one e-mail", func(t *testing.T) {
		adminExpect(t, admin.post("/staff/admin/users", invite), http.StatusSeeOther, "/staff/admin/users?notice=invited")
		if n := queued(t, app.DB, addr, "staff_invite"); n != 1 {
			t.Errorf("%d e-mails queued", n)
		}
		if n := tokens(accounts.PurposeInvite); n != 1 {
			t.Errorf("%d invitation links", n)
		}
	})
	u, err := app.Accounts.ByEmail(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a failed new invitation queues no e-mail", func(t *testing.T) {
		allow := refuseInserts(t, app.DB, "audit_log", "action", "user_reinvited")
		adminExpect(t, admin.post("/staff/admin/users/"+u.ID+"/invite", nil), http.StatusInternalServerError, "")
		allow()
		if n := queued(t, app.DB, addr, "staff_invite"); n != 1 {
			t.Errorf("%d e-mails queued in all", n)
		}
		if n := tokens(accounts.PurposeInvite); n != 1 {
			t.Errorf("%d invitation links", n)
		}
	})
	t.Run("a new invitation queues exactly one e-mail", func(t *testing.T) {
		adminExpect(t, admin.post("/staff/admin/users/"+u.ID+"/invite", nil), http.StatusSeeOther, "/staff/admin/users?notice=reinvited")
		if n := queued(t, app.DB, addr, "staff_invite"); n != 2 {
			t.Errorf("%d e-mails queued in all", n)
		}
	})

	if err := app.Accounts.SetPassword(context.Background(), u, staffPassword); err != nil {
		t.Fatal(err)
	}
	anon := app.browser("fr")
	t.Run("a reset whose e-mail cannot be queued keeps no link and answers the same", func(t *testing.T) {
		allow := refuseInserts(t, app.DB, "mail_outbox", "tag", "staff_reset")
		adminExpect(t, anon.post("/staff/reset", url.Values{"email": {addr}}), http.StatusOK, "")
		allow()
		if n := tokens(accounts.PurposeReset); n != 0 {
			t.Errorf("%d reset links kept without their e-mail", n)
		}
		if n := queued(t, app.DB, addr, "staff_reset"); n != 0 {
			t.Errorf("%d e-mails queued", n)
		}
	})
	t.Run("a reset queues exactly one e-mail", func(t *testing.T) {
		adminExpect(t, anon.post("/staff/reset", url.Values{"email": {addr}}), http.StatusOK, "")
		if n := queued(t, app.DB, addr, "staff_reset"); n != 1 {
			t.Errorf("%d e-mails queued", n)
		}
		if n := tokens(accounts.PurposeReset); n != 1 {
			t.Errorf("%d reset links", n)
		}
	})
}
