package chatonsinfos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostSite serves a CHATONS host's well-known directory from testdata.
func hostSite(t *testing.T, files map[string]string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for path, name := range files {
		b := testdata(t, name)
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write(b)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestParseFederation(t *testing.T) {
	name, orgs, err := ParseFederation(testdata(t, "federation.properties"))
	if err != nil {
		t.Fatal(err)
	}
	if name != "CHATONS" || len(orgs) != 2 || orgs[0].Key != "ile-numerique" || !strings.HasPrefix(orgs[1].URL, "https://recif.example/") {
		t.Errorf("federation %q %+v", name, orgs)
	}
	if _, err := ParseOrganization(testdata(t, "federation.properties")); !errors.Is(err, ErrMalformed) {
		t.Errorf("a federation file read as an organization: %v", err)
	}
}

func TestReadOrganizationWithTwoServices(t *testing.T) {
	srv := hostSite(t, map[string]string{
		"/.well-known/chatonsinfos/organization.properties":            "organization.properties",
		"/.well-known/chatonsinfos/services/nextcloud.properties":      "nextcloud.properties",
		"/.well-known/chatonsinfos/services/pad.properties":            "pad.properties",
		"/full/.well-known/chatonsinfos/organization.properties":       "organization.properties",
		"/full/.well-known/chatonsinfos/services/nextcloud.properties": "nextcloud-full.properties",
	})
	f := NewFetcher(true, "archipel-test") // the test host is on loopback: allowed explicitly
	r, err := f.ReadOrganization(context.Background(), srv.URL+"/.well-known/chatonsinfos/organization.properties")
	if err != nil {
		t.Fatal(err)
	}
	o := r.Organization
	if o.Name != "L'Île numérique" || o.Email != "bonjour@ile-numerique.example" || o.Website != "https://ile-numerique.example/" ||
		o.Place != "12 rue des Canuts, 69004 Lyon" {
		t.Errorf("organization %+v", o)
	}
	if !strings.Contains(o.Description, "membre des CHATONS depuis 2019. Nous accompagnons") {
		t.Errorf("a continued line was not joined: %q", o.Description)
	}
	if len(r.Services) != 2 {
		t.Fatalf("%d services", len(r.Services))
	}
	nc, pad := r.Services[0], r.Services[1]
	if nc.Err != nil || !nc.Service.IsNextcloud() || nc.Service.Full() || nc.Service.Registration != "Member" {
		t.Errorf("nextcloud service %+v %v", nc.Service, nc.Err)
	}
	if pad.Err != nil || pad.Service.IsNextcloud() || pad.Service.Name != "Bloc-notes" {
		t.Errorf("pad service %+v %v", pad.Service, pad.Err)
	}

	t.Run("a FULL service is read as full; a missing one is kept with its error", func(t *testing.T) {
		r, err := f.ReadOrganization(context.Background(), srv.URL+"/full/.well-known/chatonsinfos/organization.properties")
		if err != nil {
			t.Fatal(err)
		}
		if s := r.Services[0]; s.Err != nil || !s.Service.Full() || !s.Service.IsNextcloud() {
			t.Errorf("service %+v %v", s.Service, s.Err)
		}
		if s := r.Services[1]; s.Err == nil || !errors.Is(s.Err, ErrFetch) || ErrorKey(s.Err) != "chatons.error.fetch" {
			t.Errorf("missing service: %v", s.Err)
		}
	})
}

func TestMalformedFilesAreRefused(t *testing.T) {
	srv := hostSite(t, map[string]string{
		"/escape.properties":  "malformed.properties",
		"/page.html":          "not-properties.html",
		"/service.properties": "nextcloud.properties",
	})
	f := NewFetcher(true, "")
	for _, path := range []string{"/escape.properties", "/page.html", "/service.properties"} {
		t.Run(path, func(t *testing.T) {
			_, err := f.ReadOrganization(context.Background(), srv.URL+path)
			if !errors.Is(err, ErrMalformed) || ErrorKey(err) != "chatons.error.malformed" {
				t.Errorf("err = %v, want malformed", err)
			}
		})
	}
	t.Run("a registration load that is neither OPEN nor FULL", func(t *testing.T) {
		b := strings.Replace(string(testdata(t, "nextcloud.properties")), "= OPEN", "= BUSY", 1)
		if _, err := ParseService([]byte(b)); !errors.Is(err, ErrMalformed) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestATenMegabyteFileIsRefusedWithoutBeingRead(t *testing.T) {
	line := strings.Repeat("x", 1023) + "\n"
	for _, announce := range []bool{true, false} {
		sent := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if announce {
				w.Header().Set("Content-Length", "10485760")
			}
			_, _ = w.Write([]byte("file.class = organization\norganization.name = Big\n"))
			for range 10 << 10 {
				n, err := w.Write([]byte(line))
				sent += n
				if err != nil {
					return
				}
			}
		}))
		f := NewFetcher(true, "")
		_, err := f.Get(context.Background(), srv.URL+"/big.properties")
		srv.Close()
		if !errors.Is(err, ErrTooLarge) || ErrorKey(err) != "chatons.error.too_large" {
			t.Errorf("announced %v: err = %v, want too large", announce, err)
		}
	}
}

func TestPrivateAddressesAreRefused(t *testing.T) {
	private := hostSite(t, map[string]string{"/organization.properties": "organization.properties"})
	// A "public" site whose file redirects to the private one: the address
	// dialled after the redirect is checked too.
	redirect := httptest.NewServer(http.RedirectHandler(private.URL+"/organization.properties", http.StatusFound))
	t.Cleanup(redirect.Close)
	f := NewFetcher(false, "")
	for name, u := range map[string]string{
		"loopback":                        private.URL + "/organization.properties",
		"a name for loopback":             strings.Replace(private.URL, "127.0.0.1", "localhost", 1) + "/organization.properties",
		"a redirect to a private address": redirect.URL + "/org.properties",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.ReadOrganization(context.Background(), u)
			if !errors.Is(err, ErrPrivate) || ErrorKey(err) != "chatons.error.private" {
				t.Errorf("err = %v, want private refused", err)
			}
		})
	}
	t.Run("with private addresses allowed, the redirect is followed", func(t *testing.T) {
		r, err := NewFetcher(true, "").ReadOrganization(context.Background(), redirect.URL+"/org.properties")
		if err != nil || r.Organization.Name != "L'Île numérique" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a redirect to another scheme is refused", func(t *testing.T) {
		ftp := httptest.NewServer(http.RedirectHandler("ftp://files.example/org.properties", http.StatusFound))
		defer ftp.Close()
		if _, err := NewFetcher(true, "").Get(context.Background(), ftp.URL); !errors.Is(err, ErrURL) {
			t.Errorf("err = %v", err)
		}
	})
	for _, raw := range []string{"file:///etc/passwd", "ftp://example.org/x", "https://user:pw@example.org/x", "//example.org"} {
		if err := CheckURL(raw); !errors.Is(err, ErrURL) {
			t.Errorf("CheckURL(%q) = %v", raw, err)
		}
	}
	for addr, public := range map[string]bool{
		"127.0.0.1": false, "10.1.2.3": false, "192.168.1.1": false, "172.16.0.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "::1": false, "fd00::1": false, "fe80::1": false, "::ffff:127.0.0.1": false, "0.0.0.0": false,
		"80.67.169.12": true, "2001:910:800::12": true,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != public {
			t.Errorf("Public(%s) = %v, want %v", addr, got, public)
		}
	}
}

func TestASlowHostIsGivenUp(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	f := NewFetcher(true, "")
	f.Timeout = 50 * time.Millisecond
	_, err := f.Get(context.Background(), srv.URL)
	if ErrorKey(err) != "chatons.error.timeout" {
		t.Errorf("err = %v (%s), want a time-out", err, ErrorKey(err))
	}
}

func TestWrittenFilesParseBack(t *testing.T) {
	f := NewFile(ClassService, "Archipel", "2026-12-04T10:00:00")
	f.Set("service.name", "Archipel: l'accompagnement = Nextcloud")
	f.Set("service.description", "Ligne 1\nLigne 2 # pas un commentaire")
	f.Set("service.registration.load", LoadFull)
	f.Set("service.website", "")
	s, err := ParseService(f.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, f.Bytes())
	}
	if s.Name != "Archipel: l'accompagnement = Nextcloud" || s.Description != "Ligne 1\nLigne 2 # pas un commentaire" || !s.Full() {
		t.Errorf("read back %+v", s)
	}
	for _, k := range f.Keys() {
		if k == "service.website" {
			t.Error("an empty value was written")
		}
	}
}
