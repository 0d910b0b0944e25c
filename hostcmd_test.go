package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"archipel/provisioning/simulator"
)

func TestHostCheckTellsTheTruthOnNextcloud34(t *testing.T) {
	sim := simulator.New(simulator.Options{Profile: simulator.Profile34(), AdminUser: "archipel", AdminPassword: "Login-Password-34"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	appPassword := strings.Repeat("B", 72)
	if err := sim.AddAppPassword("archipel", appPassword); err != nil {
		t.Fatal(err)
	}
	write := func(secret string) string {
		p := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(p, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("an app password is refused with what to do", func(t *testing.T) {
		var out bytes.Buffer
		err := hostCommand(t.Context(), []string{"check", "--url", srv.URL, "--user", "archipel",
			"--password-file", write(appPassword), "--lang", "en"}, &out)
		want := "This Nextcloud (34.0.1) refuses management calls made with an app password: enter the login password of a dedicated provisioning account."
		if err == nil || err.Error() != want {
			t.Fatalf("got %v, want %q; output:\n%s", err, want, out.String())
		}
	})
	t.Run("the login password of a dedicated account is all set", func(t *testing.T) {
		var out bytes.Buffer
		err := hostCommand(t.Context(), []string{"check", "--url", srv.URL, "--user", "archipel",
			"--password-file", write("Login-Password-34"), "--credential", "login-password", "--lang", "fr"}, &out)
		if err != nil {
			t.Fatalf("%v; output:\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "34.0.1") || !strings.Contains(out.String(), "Un groupe de test a été créé puis supprimé : oui") {
			t.Errorf("output:\n%s", out.String())
		}
	})
}
