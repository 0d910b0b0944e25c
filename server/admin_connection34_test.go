package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/provisioning/simulator"
)

// On Nextcloud 34 an app password passes the old checks (version, rights)
// but cannot provision: the test of the connection says so in one sentence,
// with Nextcloud's own message, and passes with the login password of a
// dedicated account.
func TestAdminConnectionOnNextcloud34(t *testing.T) {
	app := newTestApp(t)
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	sim := simulator.New(simulator.Options{Profile: simulator.Profile34(), AdminUser: "archipel", AdminPassword: "Mot-de-passe-de-connexion-34"})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	appPassword := strings.Repeat("C", 72)
	if err := sim.AddAppPassword("archipel", appPassword); err != nil {
		t.Fatal(err)
	}
	const page = "/staff/admin/hosts/h-all/connection"

	res := admin.get(page)
	adminExpect(t, res, http.StatusOK, "")
	adminHasText(t, res, "main", adminT(t, "fr", "nc34.howto.no2fa"))
	if res.Doc.Find(`input[name="nc_credential"][value="app_password"][checked]`).Length() != 1 {
		t.Error("the app password is not the kind offered by default")
	}

	res = admin.post(page, url.Values{"nc_url": {srv.URL}, "nc_user": {"archipel"}, "nc_password": {appPassword}, "nc_credential": {"sms"}})
	adminExpect(t, res, http.StatusBadRequest, "")
	adminCheckErrors(t, res, "fr", map[string]string{"nc_credential": "nc34.err.credential"})

	res = admin.post(page, url.Values{"nc_url": {srv.URL}, "nc_user": {"archipel"}, "nc_password": {appPassword}, "nc_credential": {"app_password"}})
	adminExpect(t, res, http.StatusSeeOther, page+"?notice=connection_saved")
	res = admin.post("/staff/admin/hosts/h-all/check", nil)
	adminExpect(t, res, http.StatusOK, "")
	adminHasText(t, res, `[role="status"]`, adminT(t, "fr", "nc34.check.app_password_refused", "Version", "34.0.1"))
	adminHasText(t, res, `[role="status"]`, "Password confirmation is required")

	res = admin.post(page, url.Values{"nc_url": {srv.URL}, "nc_user": {"archipel"}, "nc_password": {"Mot-de-passe-de-connexion-34"},
		"nc_credential": {"login_password"}})
	adminExpect(t, res, http.StatusSeeOther, page+"?notice=connection_saved")
	res = admin.get(page)
	if res.Doc.Find(`input[name="nc_credential"][value="login_password"][checked]`).Length() != 1 {
		t.Error("the stored kind is not shown")
	}
	res = admin.post("/staff/admin/hosts/h-all/check", nil)
	adminExpect(t, res, http.StatusOK, "")
	adminHasText(t, res, `[role="status"]`, adminT(t, "fr", "check.ready"))
	adminHasText(t, res, `[role="status"]`, adminT(t, "fr", "nc34.check.write"))
	if strings.Contains(res.Body, "Mot-de-passe-de-connexion-34") || strings.Contains(app.Logs.String(), "Mot-de-passe-de-connexion-34") {
		t.Error("the login password appears in a page or the log")
	}
}
