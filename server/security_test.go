package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/privlink"
	"archipel/training"
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

// The hostile review's critical finding, over HTTP: staff of the first host
// reopen only the needs step; the association posts the host step anyway,
// choosing another host, then sends the request again. The host step is
// refused, and the request stays where it was.
func TestTheAssociationCannotMoveItsRequestAfterAPartialReopening(t *testing.T) {
	app := newTestApp(t)
	assoc, id := app.reqSubmit("fr", "anne@velo.example", "Les Amis du Vélo")
	page := "/staff/requests/" + id
	staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
	res := staff.get(page + "/info")
	form := url.Values{"version": {reqVersion(t, res)}, "info_steps": {"besoins"}, "info_message": {"Précisez vos besoins."}}
	reqExpect(t, staff.post(page+"/info", form), http.StatusSeeOther, page+"?notice=info_requested")
	other := app.staffBrowser(accounts.RoleStaff, "h-all")
	if _, err := app.DB.ExecContext(context.Background(), `INSERT INTO application_notes (application_id, author_id, author_name, body, created_at, host_id)
		VALUES ($1, 'x', 'Camille', 'Note interne de Lyon', CURRENT_TIMESTAMP, 'h-lyon')`, id); err != nil {
		t.Fatal(err)
	}

	answers := reqAnswers("anne@velo.example", "Les Amis du Vélo", "recif-solidaire")
	for _, path := range []string{"/demande/hebergeur", "/demande/association"} {
		res := assoc.get(path)
		reqExpect(t, res, http.StatusSeeOther, "/demande/recapitulatif")
	}
	reqExpect(t, assoc.post("/demande/hebergeur", answers["hebergeur"]), http.StatusSeeOther, "/demande/recapitulatif")
	answers["besoins"].Set("retour", "recapitulatif")
	reqExpect(t, assoc.post("/demande/besoins", answers["besoins"]), http.StatusSeeOther, "/demande/recapitulatif")
	reqExpect(t, assoc.post("/demande/recapitulatif", answers["recapitulatif"]), http.StatusSeeOther, "/suivi?notice=submitted")

	var host string
	if err := app.DB.QueryRowContext(context.Background(), `SELECT host_id FROM applications WHERE id = $1`, id).Scan(&host); err != nil {
		t.Fatal(err)
	}
	if host != "h-lyon" {
		t.Fatalf("the request moved to %s", host)
	}
	if res := other.get(page); res.Status != http.StatusNotFound {
		t.Errorf("the other host's staff open the request: %d", res.Status)
	}
	if strings.Contains(staff.get(page).Body, "Note interne de Lyon") == false {
		t.Error("the first host lost its note")
	}
}

// An unassigned trainer could reassign a case's trainers and close it; the
// case page no longer offers it and the store refuses it.
func TestAnUnassignedTrainerNeitherReassignsNorCloses(t *testing.T) {
	app := newTestApp(t)
	velo := app.caseSeed("h-lyon", "Les Amis du Vélo", "anne@velo.example", time.Hour)
	stranger, su := app.caseBrowser(accounts.RoleTrainer, "h-lyon", "fr")
	base := "/staff/cases/" + velo.ID
	res := stranger.get(base)
	caseExpect(t, res, http.StatusOK)
	if res.Doc.Find(`form[action="`+base+`/trainers"]`).Length() != 0 || res.Doc.Find(`a[href="`+base+`/close"]`).Length() != 0 {
		t.Error("the case page offers an unassigned trainer to reassign or close")
	}
	v := fmt.Sprint(velo.Version)
	caseExpect(t, stranger.post(base+"/trainers", url.Values{"trainers": {su.ID}, "version": {v}}), http.StatusForbidden)
	caseExpect(t, stranger.get(base+"/close"), http.StatusForbidden)
	caseExpect(t, stranger.post(base+"/close", url.Values{"close_outcome": {"dropped"}, "version": {v}}), http.StatusForbidden)
	after, err := app.Training.Get(context.Background(), velo.ID)
	if err != nil || after.Stage == training.StageClosed || len(after.TrainerIDs) != 0 {
		t.Fatalf("the case changed: %+v, %v", after, err)
	}
}
