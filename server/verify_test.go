package server_test

import (
	"net/url"
	"testing"
)

// The cookie of the browser that filled the form resumes the request but
// must not confirm the address: only the e-mailed link does.
func TestTheBrowserCookieDoesNotConfirmTheAddress(t *testing.T) {
	app := newTestApp(t)
	b := app.browser("fr")
	answers := validAnswers("anne@example.org")
	if res := b.post("/demande/association", answers["association"]); res.Status != 303 {
		t.Fatalf("step 1: %d", res.Status)
	}
	u, _ := url.Parse(app.Server.URL)
	var cookie string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "archipel_demande" {
			cookie = c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no request cookie")
	}
	if cookie == app.lastLink("anne@example.org")[len(app.lastLink("anne@example.org"))-len(cookie):] {
		t.Fatal("the cookie is the e-mailed link")
	}
	other := app.browser("fr")
	other.get("/reprendre/" + cookie)
	for _, step := range []string{"membres", "outils", "besoins", "hebergeur"} {
		if res := b.post("/demande/"+step, answers[step]); res.Status != 303 {
			t.Fatalf("%s: %d", step, res.Status)
		}
	}
	if res := b.post("/demande/recapitulatif", answers["recapitulatif"]); res.Status != 403 {
		t.Fatalf("submission with a self-confirmed address: %d, want 403", res.Status)
	}
	b.get(app.lastLink("anne@example.org"))
	if res := b.post("/demande/recapitulatif", answers["recapitulatif"]); res.Status != 303 {
		t.Fatalf("submission after opening the e-mailed link: %d", res.Status)
	}
}

func TestAHostFromTheDirectoryIsPreselected(t *testing.T) {
	app := newTestApp(t)
	b := app.browser("fr")
	b.get("/demande?hebergeur=recif-solidaire")
	answers := validAnswers("claire@example.org")
	for _, step := range []string{"association", "membres", "outils", "besoins"} {
		if res := b.post("/demande/"+step, answers[step]); res.Status != 303 {
			t.Fatalf("%s: %d", step, res.Status)
		}
	}
	res := b.get("/demande/hebergeur")
	if v, _ := res.Doc.Find("input[name=host]:checked").Attr("value"); v != "recif-solidaire" {
		t.Fatalf("preselected host %q, want recif-solidaire", v)
	}
	other := app.browser("fr")
	other.get("/demande?hebergeur=lagon-complet") // paused: not remembered
	for _, step := range []string{"association", "membres", "outils", "besoins"} {
		a := validAnswers("denis@example.org")[step]
		if step == "association" {
			a.Set("legal_id", "")
		}
		other.post("/demande/"+step, a)
	}
	if v, _ := other.get("/demande/hebergeur").Doc.Find("input[name=host]:checked").Attr("value"); v != "auto" {
		t.Fatalf("a paused host was preselected: %q", v)
	}
}
