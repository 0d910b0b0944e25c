package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"archipel/accounts"
)

var adminInvitationRe = regexp.MustCompile(`https?://[^\s"<]+/staff/invitation/[A-Za-z0-9_-]+`)

// adminInvitationLink returns the invitation link of the newest e-mail to addr.
func (a *testApp) adminInvitationLink(addr string) string {
	a.t.Helper()
	mails := a.mails(addr)
	for i := len(mails) - 1; i >= 0; i-- {
		if link := adminInvitationRe.FindString(mails[i].Text); link != "" {
			return link
		}
	}
	a.t.Fatalf("no invitation e-mailed to %s", addr)
	return ""
}

func TestAdminInvitation(t *testing.T) {
	app := newTestApp(t)
	admin, me := app.staffBrowserUser(accounts.RoleAdmin, "")
	res := admin.get("/staff/admin/users")
	adminExpect(t, res, http.StatusOK, "")
	adminHasText(t, res, "table", me.Email)

	bad := url.Values{"user_email": {"pas une adresse"}, "user_name": {"Dominique"}, "user_role": {"staff"}, "user_host": {""}, "user_language": {"en"}}
	res = admin.post("/staff/admin/users", bad)
	adminExpect(t, res, http.StatusBadRequest, "")
	adminCheckErrors(t, res, "fr", map[string]string{"user_email": "err.contact_email.invalid", "user_host": "err.staff.host_required"})
	adminCheckValues(t, res, bad)
	res = admin.post("/staff/admin/users", url.Values{"user_email": {"x@recif.example"}, "user_role": {"trainer"}, "user_host": {"nope"}})
	adminCheckErrors(t, res, "fr", map[string]string{"user_host": "err.choice"})
	res = admin.post("/staff/admin/users", url.Values{"user_email": {me.Email}, "user_role": {"admin"}})
	adminCheckErrors(t, res, "fr", map[string]string{"user_email": "err.staff.exists"})
	if n := len(app.mails("x@recif.example")); n != 0 {
		t.Errorf("%d e-mails after a refused invitation", n)
	}

	invite := url.Values{"user_email": {"dominique@recif.example"}, "user_name": {"Dominique"}, "user_role": {"staff"},
		"user_host": {"h-all"}, "user_language": {"en"}}
	adminExpect(t, admin.post("/staff/admin/users", invite), http.StatusSeeOther, "/staff/admin/users?notice=invited")
	res = admin.get("/staff/admin/users?notice=invited")
	adminHasText(t, res, ".notice", adminT(t, "fr", "notice.invited"))
	adminHasText(t, res, "table", "dominique@recif.example")
	adminHasText(t, res, "table", "Récif solidaire")
	adminHasText(t, res, "table", adminT(t, "fr", "admin.users.invited"))
	mails := app.mails("dominique@recif.example")
	if len(mails) != 1 || mails[0].Subject != adminT(t, "en", "mail.staff_invite.subject") {
		t.Fatalf("invitation e-mails: %+v", mails)
	}
	link := app.adminInvitationLink("dominique@recif.example")

	// The invited person opens the link, chooses a password and signs in.
	staff := app.browser("en")
	res = staff.get(link)
	adminExpect(t, res, http.StatusOK, "")
	path := strings.TrimPrefix(link, app.Server.URL)
	adminExpect(t, staff.post(path, url.Values{"name": {"Dominique R."}, "password": {staffPassword}, "password_confirm": {staffPassword}}),
		http.StatusSeeOther, "/staff/login?notice=password_set")
	staff.staffLogin("dominique@recif.example", staffPassword)
	adminExpect(t, staff.get("/staff"), http.StatusOK, "")
	adminExpect(t, staff.get("/staff/admin/users"), http.StatusNotFound, "")
	adminExpect(t, staff.get(link), http.StatusNotFound, "") // a link works once

	u, err := app.Accounts.ByEmail(t.Context(), "dominique@recif.example")
	if err != nil || u.Role != accounts.RoleStaff || u.HostID != "h-all" || u.Language != "en" || u.Name != "Dominique R." {
		t.Fatalf("account %+v, %v", u, err)
	}

	t.Run("a disabled account is signed out and cannot sign in", func(t *testing.T) {
		adminExpect(t, admin.post("/staff/admin/users/"+u.ID+"/disable", nil), http.StatusSeeOther, "/staff/admin/users?notice=user_disabled")
		res := staff.get("/staff")
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/staff/login") {
			t.Errorf("disabled account still in: %d %q", res.Status, res.Location)
		}
		res = staff.post("/staff/login", url.Values{"email": {"dominique@recif.example"}, "password": {staffPassword}, "next": {"/staff"}})
		if res.Status == http.StatusSeeOther {
			t.Error("a disabled account signed in")
		}
		adminExpect(t, admin.post("/staff/admin/users/"+u.ID+"/enable", nil), http.StatusSeeOther, "/staff/admin/users?notice=enabled")
		staff.staffLogin("dominique@recif.example", staffPassword)
	})

	t.Run("an administrator cannot disable itself", func(t *testing.T) {
		adminExpect(t, admin.post("/staff/admin/users/"+me.ID+"/disable", nil), http.StatusConflict, "")
		adminExpect(t, admin.get("/staff/admin/users"), http.StatusOK, "")
	})

	t.Run("an invitation not taken up can be sent again", func(t *testing.T) {
		invite := url.Values{"user_email": {"claude@ile.example"}, "user_role": {"trainer"}, "user_host": {"h-lyon"}, "user_language": {"fr"}}
		adminExpect(t, admin.post("/staff/admin/users", invite), http.StatusSeeOther, "")
		claude, err := app.Accounts.ByEmail(t.Context(), "claude@ile.example")
		if err != nil {
			t.Fatal(err)
		}
		first := app.adminInvitationLink("claude@ile.example")
		adminExpect(t, admin.post("/staff/admin/users/"+claude.ID+"/invite", nil), http.StatusSeeOther, "/staff/admin/users?notice=reinvited")
		if second := app.adminInvitationLink("claude@ile.example"); second == first || len(app.mails("claude@ile.example")) != 2 {
			t.Errorf("no new invitation")
		}
		adminExpect(t, admin.post("/staff/admin/users/"+u.ID+"/invite", nil), http.StatusConflict, "")
	})

	want := []string{"user_invited", "user_disabled", "user_enabled", "user_reinvited"}
	if got := app.auditActions(); !slices.Equal(adminFilterActions(got, want), []string{"user_invited", "user_disabled", "user_enabled", "user_invited", "user_reinvited"}) {
		t.Errorf("audit log %q", got)
	}
}

// adminFilterActions keeps the actions of got that are in want, in order.
func adminFilterActions(got, want []string) []string {
	var out []string
	for _, a := range got {
		if slices.Contains(want, a) {
			out = append(out, a)
		}
	}
	return out
}

// adminRoutes are every administrator's route, with the ids the test app
// has; {app} and {user} are replaced by a request's and an account's.
var adminRoutes = []struct{ method, path string }{
	{"GET", "/staff/admin/hosts"},
	{"GET", "/staff/admin/hosts/new"},
	{"POST", "/staff/admin/hosts/new"},
	{"GET", "/staff/admin/hosts/h-lyon"},
	{"POST", "/staff/admin/hosts/h-lyon"},
	{"POST", "/staff/admin/hosts/h-lyon/pause"},
	{"POST", "/staff/admin/hosts/h-paused/resume"},
	{"GET", "/staff/admin/hosts/h-lyon/connection"},
	{"POST", "/staff/admin/hosts/h-lyon/connection"},
	{"POST", "/staff/admin/hosts/h-lyon/check"},
	{"GET", "/staff/admin/users"},
	{"POST", "/staff/admin/users"},
	{"POST", "/staff/admin/users/{user}/disable"},
	{"POST", "/staff/admin/users/{user}/enable"},
	{"POST", "/staff/admin/users/{user}/invite"},
	{"GET", "/staff/admin/audit"},
	{"GET", "/staff/admin/queue"},
	{"GET", "/staff/admin/queue/{app}"},
	{"POST", "/staff/admin/queue/{app}"},
	{"GET", "/staff/admin/requests/{app}/transfer"},
	{"POST", "/staff/admin/requests/{app}/transfer"},
	{"GET", "/staff/admin/nothing-here"},
}

func TestAdminPagesAreNotFoundForOthers(t *testing.T) {
	app := newTestApp(t)
	answers := validAnswers("attente@example.org")
	answers["association"].Set("postcode", "20000") // Corsica, where no host offers video
	answers["besoins"]["services"] = []string{"files", "video"}
	adminSubmitRequest(t, app, "fr", answers)
	appID, _, _ := app.requestOf("attente@example.org")
	_, victim := app.staffBrowserUser(accounts.RoleTrainer, "h-all")
	form := url.Values{"host_name": {"Pirate"}, "host_slug": {"pirate"}, "user_email": {"pirate@example.org"}, "user_role": {"admin"},
		"change_host": {"h-all"}, "change_reason": {"x"}, "nc_url": {"https://evil.example"}, "nc_user": {"x"}, "nc_password": {"x"}}
	for _, who := range []struct {
		name string
		role accounts.Role
		host string
	}{{"staff of a host", accounts.RoleStaff, "h-lyon"}, {"a trainer", accounts.RoleTrainer, "h-lyon"}, {"staff of another host", accounts.RoleStaff, "h-all"}} {
		t.Run(who.name+" gets not found", func(t *testing.T) {
			b := app.staffBrowser(who.role, who.host)
			for _, r := range adminRoutes {
				path := strings.NewReplacer("{app}", appID, "{user}", victim.ID).Replace(r.path)
				var res *response
				if r.method == "GET" {
					res = b.get(path)
				} else {
					res = b.post(path, form)
				}
				if res.Status != http.StatusNotFound {
					t.Errorf("%s %s: status %d", r.method, path, res.Status)
				}
			}
		})
	}
	t.Run("nobody signed in is sent to the login page", func(t *testing.T) {
		b := app.browser("fr")
		for _, r := range adminRoutes {
			if strings.HasSuffix(r.path, "nothing-here") {
				continue // not found for everyone
			}
			path := strings.NewReplacer("{app}", appID, "{user}", victim.ID).Replace(r.path)
			var res *response
			if r.method == "GET" {
				res = b.get(path)
			} else {
				res = b.post(path, form)
			}
			if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/staff/login") {
				t.Errorf("%s %s: status %d, location %q", r.method, path, res.Status, res.Location)
			}
		}
	})
	// Nothing changed.
	if _, host, _ := app.requestOf("attente@example.org"); host != "" {
		t.Errorf("the request went to %s", host)
	}
	if got := app.auditActions(); slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "host_") && a != "host_waiting" }) ||
		slices.Contains(got, "user_invited") || slices.Contains(got, "user_disabled") {
		t.Errorf("audit log %q", got)
	}
	var paused bool
	if err := app.DB.QueryRowContext(t.Context(), `SELECT paused FROM hosts WHERE id = 'h-lyon'`).Scan(&paused); err != nil || paused {
		t.Errorf("h-lyon paused %t, %v", paused, err)
	}
	if u, _ := app.Accounts.Get(t.Context(), victim.ID); !u.Active {
		t.Error("the trainer was disabled")
	}
}
