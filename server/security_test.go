package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/privlink"
)

// The hostile review found a valid reset link in a log line: an internal
// error on a private-link route logged the path with its token.
func TestLoggedErrorsCarryNoPrivateToken(t *testing.T) {
	app := newTestApp(t)
	token, _ := privlink.New()
	paths := []string{
		"/staff/reset/" + token,
		"/staff/invitation/" + token,
		"/reprendre/" + token,
		"/showcase/consent/" + token,
		"/bilan/" + token,
		"/bilan/" + token + "/arreter",
	}
	b := app.browser("fr")
	// With the database gone, every one of these pages fails inside.
	app.DB.Close()
	for _, p := range paths {
		res := b.get(p)
		if res.Status != http.StatusInternalServerError {
			t.Errorf("GET %s: status %d, want 500", p, res.Status)
		}
	}
	logs := app.Logs.String()
	if !strings.Contains(logs, "request failed") {
		t.Fatalf("nothing logged:\n%s", logs)
	}
	if strings.Contains(logs, token) {
		t.Errorf("a token was logged:\n%s", logs)
	}
	for _, want := range []string{"/staff/reset/[redacted]", "/reprendre/[redacted]", "/showcase/consent/[redacted]"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no log line names the route %s:\n%s", want, logs)
		}
	}
}

// Beyond the password checks the gate lets run, a sign-in is answered at
// once with a translated "try again in a moment", not queued.
func TestLoginBeyondTheGateIsUnavailable(t *testing.T) {
	app := newTestApp(t)
	gate := accounts.NewGate(1, 0, 0)
	app.Accounts.SetGate(gate)
	release, started := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() { done <- gate.Do(context.Background(), func() { close(started); <-release }) }()
	<-started
	for _, lang := range []string{"fr", "en"} {
		res := app.browser(lang).post("/staff/login", url.Values{"email": {"x@staff.example"}, "password": {"whatever password"}, "next": {"/staff"}})
		if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: status %d, Retry-After %q; want 503 with a delay", lang, res.Status, res.Header.Get("Retry-After"))
		}
		if got, want := adminText(res, "main"), adminT(t, lang, "err.login.busy"); !strings.Contains(got, want) {
			t.Errorf("%s: page reads %q, want %q", lang, got, want)
		}
		if v := res.Doc.Find(`input[name="email"]`).AttrOr("value", ""); v != "x@staff.example" {
			t.Errorf("%s: the address typed was lost: %q", lang, v)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
