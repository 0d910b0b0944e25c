package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// adminHostForm is a complete host form as an administrator posts it.
func adminHostForm() url.Values {
	return url.Values{
		"host_name": {"Atoll libre"}, "host_slug": {"atoll-libre"}, "host_contact_email": {"contact@atoll.example"},
		"host_website": {"https://atoll.example"}, "host_help_url": {""}, "host_terms_url": {"https://atoll.example/cgu"},
		"host_region": {"Bretagne"}, "host_departements": {"35, 29, 22, 56"}, "host_services": {"files", "video"},
		"host_max_associations": {"12"}, "host_storage_budget_gb": {"300"}, "host_default_quota_gb": {"15"},
		"host_default_accounts": {"8"}, "host_folder_template": {"Bureau\nProjets"}, "host_welcome_fr": {""},
		"host_welcome_en": {"# Welcome to {{.Association}}"},
	}
}

func TestAdminHostCreateAndEdit(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		t.Run("in "+lang, func(t *testing.T) {
			app := newTestApp(t)
			admin := app.staffBrowser(accounts.RoleAdmin, "")
			admin.lang = lang

			res := admin.get("/staff/admin/hosts")
			adminExpect(t, res, http.StatusOK, "")
			for _, name := range []string{"L'Île numérique", "Récif solidaire", "Lagon complet"} {
				adminHasText(t, res, "table", name)
			}
			adminHasText(t, res, "table", adminT(t, lang, "admin.host.paused"))

			adminExpect(t, admin.get("/staff/admin/hosts/new"), http.StatusOK, "")
			bad := adminHostForm()
			bad.Set("host_slug", "Atoll Libre!")
			bad.Set("host_departements", "35, 99")
			bad.Del("host_services")
			bad.Set("host_max_associations", "0")
			bad.Set("host_folder_template", "Bureau\nCompta/2026")
			bad.Set("host_welcome_en", "# Welcome {{.Association")
			res = admin.post("/staff/admin/hosts/new", bad)
			adminExpect(t, res, http.StatusBadRequest, "")
			adminCheckErrors(t, res, lang, map[string]string{
				"host_slug": "err.host_slug.invalid", "host_departements": "err.host_departements.invalid",
				"host_services": "err.host_services.required", "host_max_associations": "err.host_max_associations.range",
				"host_folder_template": "err.host_folder_template.invalid", "host_welcome_en": "err.welcome.invalid",
			})
			// The slug is shown lower-cased, as it would be stored.
			adminCheckValues(t, res, bad, "host_slug")
			if got := res.Doc.Find(`[name="host_slug"]`).AttrOr("value", ""); got != "atoll libre!" {
				t.Errorf("slug shown as %q", got)
			}

			res = admin.post("/staff/admin/hosts/new", adminHostForm())
			adminExpect(t, res, http.StatusSeeOther, "")
			path, _, _ := strings.Cut(res.Location, "?")
			if !strings.HasPrefix(path, "/staff/admin/hosts/") || !strings.HasSuffix(res.Location, "?notice=host_saved") {
				t.Fatalf("redirected to %q", res.Location)
			}
			res = admin.get(res.Location)
			adminExpect(t, res, http.StatusOK, "")
			adminHasText(t, res, ".notice", adminT(t, lang, "notice.host_saved"))
			adminHasText(t, res, "h1", "Atoll libre")
			want := adminHostForm()
			want.Del("host_slug") // shown, no longer editable
			want.Set("host_departements", "35, 29, 22, 56")
			adminCheckValues(t, res, want)

			res = admin.post("/staff/admin/hosts/new", adminHostForm())
			adminExpect(t, res, http.StatusBadRequest, "")
			adminCheckErrors(t, res, lang, map[string]string{"host_slug": "err.host_slug.taken"})

			edit := adminHostForm()
			edit.Set("host_storage_budget_gb", "10")
			res = admin.post(path, edit)
			adminExpect(t, res, http.StatusBadRequest, "")
			adminCheckErrors(t, res, lang, map[string]string{"host_default_quota_gb": "err.host_default_quota_gb.budget"})
			adminCheckValues(t, res, edit, "host_slug")

			edit.Set("host_storage_budget_gb", "1000")
			edit.Set("host_name", "Atoll libre et solidaire")
			edit.Set("host_slug", "autre")
			adminExpect(t, admin.post(path, edit), http.StatusSeeOther, path+"?notice=host_saved")
			res = admin.get(path)
			adminHasText(t, res, "h1", "Atoll libre et solidaire")
			adminHasText(t, res, "main", "atoll-libre")
			if got := res.Doc.Find(`[name="host_storage_budget_gb"]`).AttrOr("value", ""); got != "1000" {
				t.Errorf("budget %q", got)
			}

			adminExpect(t, admin.get("/staff/admin/hosts/nope"), http.StatusNotFound, "")
			adminExpect(t, admin.post("/staff/admin/hosts/nope", edit), http.StatusNotFound, "")
			if got := app.auditActions(); !slices.Contains(got, "host_created") || !slices.Contains(got, "host_updated") {
				t.Errorf("audit log %q", got)
			}
		})
	}
}

func TestAdminPauseHidesTheHostFromTheFlow(t *testing.T) {
	app := newTestApp(t)
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	hostStep := func() []string {
		t.Helper()
		b := app.browser("fr")
		answers := validAnswers("pause@example.org")
		adminExpect(t, b.post("/demande/association", answers["association"]), http.StatusSeeOther, "")
		for _, slug := range []string{"membres", "outils", "besoins"} {
			adminExpect(t, b.post("/demande/"+slug, answers[slug]), http.StatusSeeOther, "")
		}
		res := b.get("/demande/hebergeur")
		adminExpect(t, res, http.StatusOK, "")
		var names []string
		res.Doc.Find(`.choice label`).Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
		// A new association next time: the same address would be a duplicate.
		app.DB.ExecContext(context.Background(), `DELETE FROM applications WHERE contact_email = 'pause@example.org'`)
		return names
	}
	if got := hostStep(); !slices.Contains(got, "L'Île numérique") {
		t.Fatalf("host step offers %q", got)
	}
	adminExpect(t, admin.post("/staff/admin/hosts/h-lyon/pause", nil), http.StatusSeeOther, "/staff/admin/hosts/h-lyon?notice=host_paused")
	res := admin.get("/staff/admin/hosts/h-lyon?notice=host_paused")
	adminHasText(t, res, ".notice", adminT(t, "fr", "admin.notice.host_paused"))
	adminHasText(t, res, ".panel", adminT(t, "fr", "admin.host.paused_body"))
	if got := hostStep(); slices.Contains(got, "L'Île numérique") || !slices.Contains(got, "Récif solidaire") {
		t.Errorf("host step offers %q after the pause", got)
	}
	adminExpect(t, admin.post("/staff/admin/hosts/h-lyon/resume", nil), http.StatusSeeOther, "/staff/admin/hosts/h-lyon?notice=host_resumed")
	if got := hostStep(); !slices.Contains(got, "L'Île numérique") {
		t.Errorf("host step offers %q after resuming", got)
	}
	if got := app.auditActions(); !slices.Contains(got, "host_paused") || !slices.Contains(got, "host_resumed") {
		t.Errorf("audit log %q", got)
	}
}

// adminSimulatedNextcloud starts a simulated Nextcloud and returns its address
// and an app password of its administrator.
func adminSimulatedNextcloud(t *testing.T) (string, string) {
	t.Helper()
	sim := simulator.New(simulator.Options{AdminPassword: "mot-de-passe-du-compte"})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	c, err := nextcloud.New(nextcloud.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	appPassword, err := c.AppPasswordFromLogin(context.Background(), "admin", "mot-de-passe-du-compte")
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, appPassword
}

func TestAdminConnection(t *testing.T) {
	app := newTestApp(t)
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	ncURL, appPassword := adminSimulatedNextcloud(t)
	var bodies []string
	get := func(path string) *response {
		res := admin.get(path)
		bodies = append(bodies, res.Body)
		return res
	}
	post := func(path string, form url.Values) *response {
		res := admin.post(path, form)
		bodies = append(bodies, res.Body)
		return res
	}
	const page = "/staff/admin/hosts/h-all/connection"

	res := get(page)
	adminExpect(t, res, http.StatusOK, "")
	if res.Doc.Find(`form[action$="/check"]`).Length() != 0 {
		t.Error("a test button without a connection")
	}
	res = post("/staff/admin/hosts/h-all/check", nil)
	adminExpect(t, res, http.StatusOK, "")
	adminHasText(t, res, ".error-summary", adminT(t, "fr", "prov.error.not_connected"))

	t.Run("a refused connection keeps what was typed but the password", func(t *testing.T) {
		form := url.Values{"nc_url": {"http://cloud.recif.example"}, "nc_user": {"archipel"}, "nc_password": {appPassword}}
		res := post(page, form)
		adminExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"nc_url": "err.nc_url.https"})
		adminCheckValues(t, res, form, "nc_password")
		if v, ok := res.Doc.Find(`[name="nc_password"]`).Attr("value"); ok {
			t.Errorf("the password field holds %q", v)
		}
		res = post(page, url.Values{"nc_url": {ncURL}, "nc_user": {"admin"}})
		adminCheckErrors(t, res, "fr", map[string]string{"nc_password": "err.nc_password.required"})
	})

	t.Run("a saved connection is tested with the stored secret", func(t *testing.T) {
		res := post(page, url.Values{"nc_url": {ncURL + "/"}, "nc_user": {"admin"}, "nc_password": {appPassword}})
		adminExpect(t, res, http.StatusSeeOther, page+"?notice=connection_saved")
		res = get(page + "?notice=connection_saved")
		adminHasText(t, res, ".notice", adminT(t, "fr", "notice.connection_saved"))
		adminHasText(t, res, "#f-nc_password-hint", adminT(t, "fr", "admin.connection.password_stored"))
		if got := res.Doc.Find(`[name="nc_url"]`).AttrOr("value", ""); got != ncURL {
			t.Errorf("stored address %q", got)
		}
		res = post("/staff/admin/hosts/h-all/check", nil)
		adminExpect(t, res, http.StatusOK, "")
		adminHasText(t, res, `[role="status"]`, adminT(t, "fr", "check.ready"))
		rows := map[string]string{}
		res.Doc.Find(`[role="status"] .summary-row`).Each(func(_ int, s *goquery.Selection) {
			rows[strings.TrimSpace(s.Find("dt").Text())] = strings.TrimSpace(s.Find("dd").Text())
		})
		yes := adminT(t, "fr", "check.yes")
		if !strings.HasPrefix(rows[adminT(t, "fr", "check.version")], "27.1") || rows[adminT(t, "fr", "check.admin")] != yes ||
			rows[adminT(t, "fr", "check.groupfolders")] != yes || rows[adminT(t, "fr", "check.sharing")] != yes {
			t.Errorf("report %q", rows)
		}
		adminExpect(t, get("/staff/admin/hosts"), http.StatusOK, "")
	})

	t.Run("a wrong app password is reported in plain words", func(t *testing.T) {
		wrong := "abcde-fghij-klmno-pqrst-uvwxy"
		res := post(page, url.Values{"nc_url": {ncURL}, "nc_user": {"admin"}, "nc_password": {wrong}})
		adminExpect(t, res, http.StatusSeeOther, "")
		res = post("/staff/admin/hosts/h-all/check", nil)
		adminHasText(t, res, `[role="status"]`, adminT(t, "fr", "check.unauthorized"))
		for _, b := range bodies {
			if strings.Contains(b, wrong) {
				t.Fatal("the wrong password appears in a page")
			}
		}
		if strings.Contains(app.Logs.String(), wrong) {
			t.Error("the wrong password appears in the log")
		}
	})

	get("/staff/admin/audit?host=h-all")
	if got := app.auditActions(); !slices.Contains(got, "host_connection_saved") || !slices.Contains(got, "host_checked") {
		t.Errorf("audit log %q", got)
	}
	for i, b := range bodies {
		if strings.Contains(b, appPassword) {
			t.Errorf("page %d shows the app password", i)
		}
	}
	if logs := app.Logs.String(); strings.Contains(logs, appPassword) {
		t.Error("the app password appears in the log")
	}
	var stored []byte
	if err := app.DB.QueryRowContext(context.Background(), `SELECT nextcloud_secret FROM hosts WHERE id = 'h-all'`).Scan(&stored); err != nil ||
		len(stored) == 0 || strings.Contains(string(stored), appPassword) {
		t.Errorf("stored secret %q, %v", stored, err)
	}
}
