package provisioning_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
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
