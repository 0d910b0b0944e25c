package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"archipel/accounts"
	"archipel/server"
)

// oidcProvider starts a real OpenID Connect provider in-process on
// loopback (oauth2-proxy's mockoidc: discovery, JWKS, PKCE, nonce).
func oidcProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// oidcSignIn goes through the provider as a browser would: Archipel sends
// it to the provider, which sends it back with a code. tamper may change
// the provider's address (its query) before the browser follows it.
func oidcSignIn(t *testing.T, b *browser, tamper func(url.Values)) *response {
	t.Helper()
	res := b.get("/staff/login/oidc?next=/staff/requests")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("begin: %d\n%s", res.Status, adminText(res, "main"))
	}
	authURL, err := url.Parse(res.Location)
	if err != nil {
		t.Fatal(err)
	}
	q := authURL.Query()
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(p) == "" {
			t.Fatalf("the provider is not sent a %s: %s", p, authURL)
		}
	}
	if q.Get("code_challenge_method") != "S256" {
		t.Errorf("PKCE method %q", q.Get("code_challenge_method"))
	}
	if tamper != nil {
		tamper(q)
		authURL.RawQuery = q.Encode()
	}
	provider := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pres, err := provider.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	pres.Body.Close()
	back := pres.Header.Get("Location")
	if !strings.HasPrefix(back, b.app.Server.URL+"/staff/login/oidc/callback?") {
		t.Fatalf("the provider sent the browser to %q (status %d)", back, pres.StatusCode)
	}
	return b.get(back)
}

func TestStaffSignInThroughTheHostsIdentityProvider(t *testing.T) {
	m := oidcProvider(t)
	cfg := m.Config()
	app := newTestAppWith(t, server.Options{OIDC: accounts.OIDCConfig{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Name: "Keycloak de l'Île",
	}})
	_, member := app.staffBrowserUser(accounts.RoleStaff, "h-lyon")
	_, gone := app.staffBrowserUser(accounts.RoleStaff, "h-lyon")
	if err := app.Accounts.SetActive(t.Context(), &accounts.User{Role: accounts.RoleAdmin}, gone.ID, false); err != nil {
		t.Fatal(err)
	}
	user := func(email string, verified bool) *mockoidc.MockUser {
		return &mockoidc.MockUser{Subject: "sub-" + email, Email: email, EmailVerified: verified, Groups: []string{"archipel-admin"}}
	}

	t.Run("the login page offers the provider", func(t *testing.T) {
		res := app.browser("fr").get("/staff/login")
		link := res.Doc.Find(`a[href^="/staff/login/oidc"]`)
		if got := strings.TrimSpace(link.Text()); got != "Se connecter avec Keycloak de l'Île" {
			t.Errorf("link %q", got)
		}
	})

	t.Run("a verified address of a staff account signs in", func(t *testing.T) {
		b := app.browser("fr")
		m.QueueUser(user(strings.ToUpper(member.Email), true))
		res := oidcSignIn(t, b, nil)
		adminExpect(t, res, http.StatusSeeOther, "/staff/requests")
		if res := b.get("/staff"); res.Status != http.StatusOK {
			t.Errorf("after the sign-in /staff answers %d", res.Status)
		}
		if !strings.Contains(strings.Join(app.auditActions(), " "), "login_oidc") {
			t.Error("no audit line for the sign-in")
		}
	})

	for _, c := range []struct {
		name   string
		user   *mockoidc.MockUser
		tamper func(url.Values)
		before func()
		want   string
	}{
		{"an unverified address is refused", user(member.Email, false), nil, nil, "err.oidc.unverified"},
		{"an address without a staff account creates none, whatever its groups", user("inconnue@ile.example", true), nil, nil, "err.oidc.no_account"},
		{"a disabled account stays out", user(gone.Email, true), nil, nil, "err.oidc.no_account"},
		{"an ID token with another nonce is refused", user(member.Email, true), func(q url.Values) { q.Set("nonce", "an-attackers-nonce") }, nil, "err.oidc.failed"},
		{"a verifier that does not match the challenge is refused", user(member.Email, true), func(q url.Values) { q.Set("code_challenge", strings.Repeat("A", 43)) }, nil, "err.oidc.failed"},
		{"an expired ID token is refused", user(member.Email, true), nil, func() { m.FastForward(-2 * time.Hour) }, "err.oidc.expired"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := app.browser("fr")
			m.QueueUser(c.user)
			if c.before != nil {
				c.before()
				t.Cleanup(func() { m.FastForward(2 * time.Hour) })
			}
			res := oidcSignIn(t, b, c.tamper)
			adminExpect(t, res, http.StatusUnauthorized, "")
			adminHasText(t, res, ".error-summary", adminT(t, "fr", c.want))
			if res := b.get("/staff"); res.Status != http.StatusSeeOther {
				t.Errorf("no session expected, /staff answers %d", res.Status)
			}
		})
	}

	t.Run("a callback is used once, and only by the browser that began it", func(t *testing.T) {
		b := app.browser("fr")
		res := b.get("/staff/login/oidc")
		authURL, _ := url.Parse(res.Location)
		m.QueueUser(user(member.Email, true))
		provider := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		pres, err := provider.Get(authURL.String())
		if err != nil {
			t.Fatal(err)
		}
		pres.Body.Close()
		back := pres.Header.Get("Location")
		other := app.browser("fr")
		adminExpect(t, other.get(back), http.StatusUnauthorized, "")
		adminExpect(t, b.get(back), http.StatusSeeOther, "/staff")
		adminExpect(t, b.get(back), http.StatusUnauthorized, "")
	})

	t.Run("without a provider configured there is no such route nor link", func(t *testing.T) {
		plain := newTestApp(t)
		if res := plain.browser("fr").get("/staff/login/oidc"); res.Status != http.StatusNotFound {
			t.Errorf("status %d", res.Status)
		}
		if plain.browser("fr").get("/staff/login").Doc.Find(`a[href^="/staff/login/oidc"]`).Length() != 0 {
			t.Error("a provider link without a provider")
		}
	})
}
