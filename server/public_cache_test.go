package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// The server keeps the public answers by ETag: these tests ask each page
// twice (the second answer is the kept copy) around every kind of change
// the page depends on, and check that no copy outlives its change or goes
// to someone it was not made for.
func TestPublicCopiesFollowEveryChange(t *testing.T) {
	e := newShowcaseEnv(t)
	c := e.successCase("h-lyon", "Les Ruches partagées", "69", "fr")
	_, token := e.publish(c, storyText("Les Ruches partagées", "69"))
	twice := func(path string, opts ...any) string {
		t.Helper()
		first, second := e.get(path, opts...), e.get(path, opts...)
		if first.Status != http.StatusOK || second.Status != http.StatusOK {
			t.Fatalf("GET %s = %d then %d", path, first.Status, second.Status)
		}
		if first.Body != second.Body || first.Header.Get("Content-Type") != second.Header.Get("Content-Type") {
			t.Fatalf("GET %s: the kept copy differs from the page", path)
		}
		for _, h := range []string{"ETag", "Content-Security-Policy", "X-Content-Type-Options"} {
			if second.Header.Get(h) == "" || second.Header.Get(h) != first.Header.Get(h) {
				t.Errorf("GET %s: header %s = %q on the kept copy, %q on the page", path, h, second.Header.Get(h), first.Header.Get(h))
			}
		}
		return second.Body
	}

	t.Run("a withdrawn entry leaves every kept page at once", func(t *testing.T) {
		paths := []string{"/showcase", "/showcase.atom", "/api/v1/showcase", "/hosts"}
		for _, p := range paths {
			if !strings.Contains(twice(p), "Ruches partag") {
				t.Fatalf("GET %s does not show the published entry", p)
			}
		}
		if _, err := e.sc.Withdraw(e.ctx, token); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if strings.Contains(twice(p), "Ruches partag") {
				t.Errorf("GET %s still shows the withdrawn entry", p)
			}
		}
	})

	t.Run("a renamed host is renamed on the kept pages", func(t *testing.T) {
		for _, p := range []string{"/hosts", "/showcase", "/figures"} {
			if !strings.Contains(twice(p), "Île numérique") {
				t.Fatalf("GET %s does not name the host", p)
			}
		}
		if _, err := e.db.ExecContext(e.ctx, `UPDATE hosts SET name = 'Atoll libre', updated_at = $1 WHERE id = 'h-lyon'`, e.now()); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/hosts", "/showcase", "/figures"} {
			if body := twice(p); strings.Contains(body, "Île numérique") || !strings.Contains(body, "Atoll libre") {
				t.Errorf("GET %s still shows the old name", p)
			}
		}
	})

	t.Run("a case closed since changes the kept figures", func(t *testing.T) {
		before := twice("/api/v1/figures")
		e.successCase("h-all", "Vélos solidaires", "01", "fr")
		if after := twice("/api/v1/figures"); after == before {
			t.Error("the figures did not count the new case")
		}
	})

	t.Run("each language has its own copy", func(t *testing.T) {
		fr, en := twice("/hosts"), twice("/hosts", "Accept-Language: en")
		if fr == en || !strings.Contains(fr, `lang="fr"`) || !strings.Contains(en, `lang="en"`) {
			t.Error("the French and English pages share a copy")
		}
	})

	t.Run("an answer that sets the language cookie sets it every time", func(t *testing.T) {
		for range 2 {
			r := e.get("/hosts?lang=en")
			if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Set-Cookie"), "lang") || !strings.Contains(r.Body, `lang="en"`) {
				t.Fatalf("GET /hosts?lang=en = %d, Set-Cookie %q", r.Status, r.Header.Get("Set-Cookie"))
			}
		}
	})
}

// Pages that hold nothing of their visitor are rendered once per language:
// the copy is the page, in the visitor's language, and a notice asked by
// the query string is still shown.
func TestStaticPagesKeptPerLanguage(t *testing.T) {
	e := newShowcaseEnv(t)
	for _, path := range []string{"/", "/confidentialite", "/demande/association"} {
		fr1, fr2 := e.get(path), e.get(path)
		en := e.get(path, "Accept-Language: en")
		if fr1.Status != http.StatusOK || fr1.Body != fr2.Body || fr2.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: the kept copy differs from the page (%d)", path, fr1.Status)
		}
		if !strings.Contains(fr2.Body, `lang="fr"`) || !strings.Contains(en.Body, `lang="en"`) {
			t.Errorf("GET %s: a language got the other's copy", path)
		}
		if fr2.Header.Get("Cache-Control") != "no-store" || fr2.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: the kept copy lost its headers", path)
		}
	}
	if r := e.get("/?notice=withdrawn"); !strings.Contains(r.Body, `class="notice"`) {
		t.Error("a notice asked by the query string is not shown")
	}
	if r := e.get("/"); strings.Contains(r.Body, `class="notice"`) {
		t.Error("the notice stayed on the kept landing page")
	}
}
