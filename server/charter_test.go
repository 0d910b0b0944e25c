package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"archipel/onboarding"
)

// When the archipelago chooses the host, the review shows its common
// charter and the terms of every host it may choose; what was accepted is
// recorded with the request: the text's version and digest, and the hosts.
func TestTermsWhenTheArchipelagoChooses(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	if _, err := app.DB.ExecContext(ctx, `UPDATE hosts SET terms_url = 'https://recif.example/cgu' WHERE id = 'h-all'`); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "en"} {
		res := app.browser(lang).get("/charte")
		reqExpect(t, res, http.StatusOK, "")
		adminHasText(t, res, "main", adminT(t, lang, "charter.p1"))
	}

	const email = "anne@auto.example"
	answers := reqAnswers(email, "Les Amis du Vélo", "auto")
	b := app.browser("fr")
	res := b.post("/demande/association", answers["association"])
	reqExpect(t, res, http.StatusSeeOther, "")
	for _, slug := range []string{"membres", "outils", "besoins", "hebergeur"} {
		reqExpect(t, b.post("/demande/"+slug, answers[slug]), http.StatusSeeOther, "")
	}
	reqExpect(t, b.get(app.lastLink(email)), http.StatusSeeOther, "")
	res = b.get("/demande/recapitulatif")
	reqExpect(t, res, http.StatusOK, "")
	hint := res.Doc.Find("#f-consent_terms-hint")
	if hint.Find(`a[href="/charte"]`).Length() != 1 {
		t.Errorf("no link to the charter: %q", hint.Text())
	}
	if hint.Find(`a[href="https://recif.example/cgu"]`).Length() != 1 || !strings.Contains(hint.Text(), "L'Île numérique") {
		t.Errorf("the eligible hosts' terms are not all shown: %q", hint.Text())
	}
	reqExpect(t, b.post("/demande/recapitulatif", answers["recapitulatif"]), http.StatusSeeOther, "/suivi?notice=submitted")

	id, _, _ := app.requestOf(email)
	var raw string
	if err := app.DB.QueryRowContext(ctx, `SELECT answers FROM applications WHERE id = $1`, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var a onboarding.Answers
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatal(err)
	}
	terms := a.Consent.Terms
	if terms == nil || terms.Kind != onboarding.TermsCharter || terms.Version != onboarding.CharterVersion || len(terms.Digest) != 64 {
		t.Fatalf("terms recorded: %+v", terms)
	}
	var text []string
	for _, p := range []string{"charter.p1", "charter.p2", "charter.p3", "charter.p4", "charter.p5"} {
		text = append(text, adminT(t, "fr", p))
	}
	if terms.Digest != onboarding.TextDigest(strings.Join(text, "\n\n")) {
		t.Error("the digest is not the charter's as shown")
	}
	hosts := map[string]string{}
	for _, h := range terms.Hosts {
		hosts[h.Host] = h.URL
	}
	if hosts["Récif solidaire"] != "https://recif.example/cgu" {
		t.Errorf("hosts recorded: %+v", terms.Hosts)
	}
}
