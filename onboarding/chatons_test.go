package onboarding_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/chatonsinfos"
	"archipel/onboarding"
)

// chatonsSite serves a host's organization file and its two service files;
// nextcloud names the Nextcloud service's file ("" answers 500).
type chatonsSite struct {
	srv       *httptest.Server
	nextcloud atomic.Value
	broken    atomic.Bool // the organization file answers 500
}

func newChatonsSite(t *testing.T) *chatonsSite {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "chatonsinfos", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	s := &chatonsSite{}
	s.nextcloud.Store("nextcloud.properties")
	org, pad := read("organization.properties"), read("pad.properties")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/chatonsinfos/organization.properties", func(w http.ResponseWriter, r *http.Request) {
		if s.broken.Load() {
			http.Error(w, "maintenance", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(org)
	})
	mux.HandleFunc("GET /.well-known/chatonsinfos/services/pad.properties", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pad) })
	mux.HandleFunc("GET /.well-known/chatonsinfos/services/nextcloud.properties", func(w http.ResponseWriter, r *http.Request) {
		name := s.nextcloud.Load().(string)
		if name == "" {
			http.Error(w, "oops", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(read(name))
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *chatonsSite) url() string {
	return s.srv.URL + "/.well-known/chatonsinfos/organization.properties"
}

func TestChatonsInfosFillsTheProfileAndPausesAFullHost(t *testing.T) {
	f := newMatchFixture(t)
	site := newChatonsSite(t)
	// The test site is on loopback: private addresses are allowed explicitly.
	reader := onboarding.NewChatonsReader(f.store, chatonsinfos.NewFetcher(true, "archipel-test"), nil)

	t.Run("a pasted address pre-fills a new host's form", func(t *testing.T) {
		reading, err := reader.Preview(f.ctx, site.url())
		if err != nil {
			t.Fatal(err)
		}
		form := onboarding.NewHostForm()
		onboarding.PrefillHostForm(form, reading.Organization)
		if form.Name != "L'Île numérique" || form.Slug != "l-ile-numerique" || form.ContactEmail != "bonjour@ile-numerique.example" ||
			form.Website != "https://ile-numerique.example/" || form.Departements != "69" || form.Region != "Auvergne-Rhône-Alpes" {
			t.Errorf("form %+v", form)
		}
		if fe := form.Validate(); len(fe) > 0 {
			t.Errorf("the pre-filled form is refused: %v", fe)
		}
	})

	id := f.host("ile", "69", "files", 10)
	if err := f.store.SetHostChatonsURL(f.ctx, queueAdmin, id, site.url()); err != nil {
		t.Fatal(err)
	}
	isPaused := func() bool {
		t.Helper()
		h, err := f.store.GetHost(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return h.Paused
	}

	t.Run("a reading lists the organization and its services", func(t *testing.T) {
		if _, err := reader.Read(f.ctx, id); err != nil {
			t.Fatal(err)
		}
		c, err := f.store.HostChatonsInfos(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "L'Île numérique" || c.Place != "12 rue des Canuts, 69004 Lyon" || c.Failing() || c.ReadAt.IsZero() || c.Full() {
			t.Errorf("reading %+v", c)
		}
		if len(c.Services) != 2 || !c.Services[0].Nextcloud || c.Services[0].Load != "OPEN" || c.Services[1].Name != "Bloc-notes" {
			t.Errorf("services %+v", c.Services)
		}
		if isPaused() {
			t.Error("an OPEN host was paused")
		}
	})

	t.Run("the Nextcloud service turning FULL pauses matching, with its reason and date", func(t *testing.T) {
		site.nextcloud.Store("nextcloud-full.properties")
		change, err := reader.Read(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := f.store.HostChatonsInfos(f.ctx, id)
		if !change.Paused || !isPaused() || !c.PausedByFile || c.FullService != "Nuage de l'Île" || c.FullSince.IsZero() {
			t.Errorf("change %+v, reading %+v", change, c)
		}
		hosts, err := f.store.OpenHosts(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hosts {
			if h.Slug == "ile" && !h.Paused {
				t.Error("the sign-up flow still offers the full host")
			}
		}
	})

	t.Run("a file that fails keeps the last values and says so", func(t *testing.T) {
		site.broken.Store(true)
		before, _ := f.store.HostChatonsInfos(f.ctx, id)
		if _, err := reader.Read(f.ctx, id); err != nil {
			t.Fatal(err)
		}
		c, _ := f.store.HostChatonsInfos(f.ctx, id)
		if !c.Failing() || c.ErrorKey != "chatons.error.fetch" || c.Name != "L'Île numérique" || len(c.Services) != 2 ||
			!c.ReadAt.Equal(before.ReadAt) || !c.TriedAt.After(before.ReadAt) {
			t.Errorf("after a failure: %+v", c)
		}
		if !isPaused() || !c.Full() {
			t.Error("a failed read changed the pause")
		}
		site.broken.Store(false)
	})

	t.Run("a Nextcloud service file that fails keeps the host full", func(t *testing.T) {
		site.nextcloud.Store("")
		if change, err := reader.Read(f.ctx, id); err != nil || change.Resumed {
			t.Fatalf("change %+v, err %v", change, err)
		}
		if c, _ := f.store.HostChatonsInfos(f.ctx, id); !c.Full() || c.Services[0].ErrorKey == "" || c.Services[0].Name == "" {
			t.Errorf("reading %+v", c)
		}
	})

	t.Run("back to OPEN resumes matching", func(t *testing.T) {
		site.nextcloud.Store("nextcloud.properties")
		change, err := reader.Read(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := f.store.HostChatonsInfos(f.ctx, id)
		if !change.Resumed || isPaused() || c.Full() || c.PausedByFile {
			t.Errorf("change %+v, paused %v, reading %+v", change, isPaused(), c)
		}
	})

	t.Run("a pause an administrator chose is never lifted by the file", func(t *testing.T) {
		if err := f.store.SetHostPaused(f.ctx, queueAdmin, id, true); err != nil {
			t.Fatal(err)
		}
		site.nextcloud.Store("nextcloud-full.properties")
		if change, _ := reader.Read(f.ctx, id); change.Paused {
			t.Error("the file claimed a pause the administrator had made")
		}
		site.nextcloud.Store("nextcloud.properties")
		if change, _ := reader.Read(f.ctx, id); change.Resumed || !isPaused() {
			t.Error("the file lifted the administrator's pause")
		}
		if err := f.store.SetHostPaused(f.ctx, queueAdmin, id, false); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("without the administrator's permission a loopback address is refused", func(t *testing.T) {
		strict := onboarding.NewChatonsReader(f.store, chatonsinfos.NewFetcher(false, "archipel-test"), nil)
		if _, err := strict.Preview(f.ctx, site.url()); apperr.CodeOf(err) != apperr.Unavailable {
			t.Errorf("preview: %v", err)
		}
		if _, err := strict.Read(f.ctx, id); err != nil {
			t.Fatal(err)
		}
		if c, _ := f.store.HostChatonsInfos(f.ctx, id); c.ErrorKey != "chatons.error.private" {
			t.Errorf("error key %q", c.ErrorKey)
		}
	})

	t.Run("the daily task reads every linked host", func(t *testing.T) {
		if err := reader.ReadAll(f.ctx); err != nil {
			t.Fatal(err)
		}
		if c, _ := f.store.HostChatonsInfos(f.ctx, id); c.Failing() {
			t.Errorf("after the daily read: %s", c.ErrorKey)
		}
	})

	t.Run("unlinking a host forgets the file", func(t *testing.T) {
		if err := f.store.SetHostChatonsURL(f.ctx, queueAdmin, id, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.HostChatonsInfos(f.ctx, id); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("err = %v", err)
		}
		if _, err := reader.Read(f.ctx, id); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("reading an unlinked host: %v", err)
		}
	})
}

func TestChatonsForm(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://ile.example/.well-known/chatonsinfos/org.properties": true, "  http://ile.example/o.properties ": true,
		"": false, "ftp://ile.example/o.properties": false, "file:///etc/passwd": false, "ile.example/o.properties": false,
	} {
		f := &onboarding.ChatonsForm{URL: raw}
		if fe := f.Validate(); (len(fe) == 0) != ok {
			t.Errorf("%q: %v", raw, fe)
		}
	}
}

// TestChatonsLinkCommitsWithItsAuditLine checks that linking or unlinking
// a host's file is an administrator's (not found for anyone else) and
// commits with its audit line: when it fails, the link stays as it was.
func TestChatonsLinkCommitsWithItsAuditLine(t *testing.T) {
	f := newMatchFixture(t)
	id := f.host("atoll", "*", "files", 10)
	audit := accounts.NewStore(f.db, nil)
	gone, cancel := context.WithCancel(f.ctx)
	cancel()
	linked := func() bool {
		t.Helper()
		_, err := f.store.HostChatonsInfos(f.ctx, id)
		return err == nil
	}
	if err := f.store.SetHostChatonsURL(f.ctx, &accounts.User{ID: "s", Role: accounts.RoleStaff, HostID: id}, id, "https://atoll.example/atoll.properties"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("linked by the host's staff: %v", err)
	}
	if err := f.store.SetHostChatonsURL(f.ctx, queueAdmin, id, "https://atoll.example/atoll.properties",
		audit.RecordIn(gone, queueAdmin, accounts.ActionHostChatonsInfosRead, id, "", "")); err == nil || linked() {
		t.Fatalf("linked without its audit line: %v", err)
	}
	if err := f.store.SetHostChatonsURL(f.ctx, queueAdmin, id, "https://atoll.example/atoll.properties"); err != nil || !linked() {
		t.Fatalf("link: %v", err)
	}
	if err := f.store.SetHostChatonsURL(f.ctx, queueAdmin, id, "", audit.RecordIn(gone, queueAdmin, accounts.ActionHostChatonsInfosRemov, id, "", "")); err == nil || !linked() {
		t.Errorf("unlinked without its audit line: %v", err)
	}
}
