package provisioning_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
	"archipel/templates"
)

func TestCheck(t *testing.T) {
	ctx := context.Background()
	sim := simulator.New(simulator.Options{AdminPassword: "Correct-Horse-Battery-42"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	anon, err := nextcloud.New(nextcloud.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	appPassword, err := anon.AppPasswordFromLogin(ctx, "admin", "Correct-Horse-Battery-42")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.AddUser(simulator.Account{ID: "plain", Password: "Plain-User-Password-9"}); err != nil {
		t.Fatal(err)
	}
	plainApp, err := anon.AppPasswordFromLogin(ctx, "plain", "Plain-User-Password-9")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, user, secret, problem string
		admin                            bool
	}{
		{"an administrator's app password is ready", srv.URL, "admin", appPassword, "", true},
		{"a wrong password is refused in words", srv.URL, "admin", "wrong-password", "check.unauthorized", false},
		{"an account that is not an administrator lacks rights", srv.URL, "plain", plainApp, "prov.error.not_admin", false},
		{"an unreachable host says so", "http://127.0.0.1:1", "admin", appPassword, "check.unreachable", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := nextcloud.New(nextcloud.Config{BaseURL: tt.url, User: tt.user, AppPassword: tt.secret})
			if err != nil {
				t.Fatal(err)
			}
			r := provisioning.Check(ctx, c, tt.secret)
			if r.Problem != tt.problem || r.Admin != tt.admin {
				t.Fatalf("report %+v, want problem %q admin %v", r, tt.problem, tt.admin)
			}
			if tt.problem == "" && (r.Version != "27.1.0" || !r.GroupFolders || !r.Sharing || !r.AppPassword) {
				t.Fatalf("incomplete report %+v", r)
			}
		})
	}
	sim.SetMaintenance(true)
	c, _ := nextcloud.New(nextcloud.Config{BaseURL: srv.URL, User: "admin", AppPassword: appPassword})
	if r := provisioning.Check(ctx, c, appPassword); r.Problem != "prov.error.maintenance" {
		t.Fatalf("maintenance: %+v", r)
	}
}

func TestCheckOnNextcloud34(t *testing.T) {
	ctx := context.Background()
	sim := simulator.New(simulator.Options{Profile: simulator.Profile34(), AdminUser: "archipel", AdminPassword: "Login-Password-34"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	if err := sim.AddAppPassword("archipel", strings.Repeat("A", 72)); err != nil {
		t.Fatal(err)
	}
	appPassword := strings.Repeat("A", 72)
	tests := []struct {
		name    string
		cfg     nextcloud.Config
		secret  string
		problem string
		probed  bool
	}{
		{"an app password is refused with a sentence saying what to do",
			nextcloud.Config{BaseURL: srv.URL, User: "archipel", AppPassword: appPassword}, appPassword,
			"nc34.check.app_password_refused", false},
		{"the login password of a dedicated account is ready",
			nextcloud.Config{BaseURL: srv.URL, User: "archipel", LoginPassword: "Login-Password-34"}, "Login-Password-34",
			"", true},
		{"a wrong login password is refused once and said so",
			nextcloud.Config{BaseURL: srv.URL, User: "archipel", LoginPassword: "wrong"}, "wrong",
			"nc34.check.login_refused", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := nextcloud.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := provisioning.Check(ctx, c, tt.secret)
			if r.Problem != tt.problem || r.WriteProbed != tt.probed || r.Version != "34.0.1" {
				t.Fatalf("report %+v, want problem %q, write probed %v, version 34.0.1", r, tt.problem, tt.probed)
			}
			if tt.problem == "nc34.check.app_password_refused" && !strings.Contains(r.ProblemDetail, "Password confirmation is required") {
				t.Errorf("Nextcloud's own message is missing from the detail: %q", r.ProblemDetail)
			}
		})
	}
	for _, g := range sim.Snapshot().Groups {
		if strings.HasPrefix(g.ID, provisioning.ProbeGroupPrefix) {
			t.Errorf("the probe group %q was left behind", g.ID)
		}
	}
}

func TestCheckMessagesSayWhatToDoInBothLanguages(t *testing.T) {
	tpl, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "en"} {
		msg, err := tpl.T(lang, "nc34.check.app_password_refused", "Version", "34.0.1")
		if err != nil || !strings.Contains(msg, "34.0.1") {
			t.Errorf("%s: %q, %v", lang, msg, err)
		}
	}
}
