package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"archipel/accounts"
)

// chatonsTestSite is a host's web site publishing its ChatonsInfos files;
// nextcloud names the file served for its Nextcloud service.
func chatonsTestSite(t *testing.T) (string, *atomic.Value, *atomic.Bool) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "chatonsinfos", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var nextcloud atomic.Value
	nextcloud.Store("nextcloud.properties")
	var broken atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/chatonsinfos/organization.properties", func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		_, _ = w.Write(read("organization.properties"))
	})
	mux.HandleFunc("GET /.well-known/chatonsinfos/services/pad.properties", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(read("pad.properties"))
	})
	mux.HandleFunc("GET /.well-known/chatonsinfos/services/nextcloud.properties", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(read(nextcloud.Load().(string)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/.well-known/chatonsinfos/organization.properties", &nextcloud, &broken
}

// formOf returns the values a browser would send with the form posting to action.
func formOf(t *testing.T, res *response, action string) url.Values {
	t.Helper()
	form := res.Doc.Find(`form[action="` + action + `"]`)
	if form.Length() == 0 {
		t.Fatalf("no form to %s", action)
	}
	v := url.Values{}
	form.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok {
			return
		}
		switch {
		case goquery.NodeName(s) == "textarea":
			v.Add(name, s.Text())
		case goquery.NodeName(s) == "select":
			v.Add(name, s.Find("option[selected]").AttrOr("value", ""))
		case s.AttrOr("type", "") == "checkbox" || s.AttrOr("type", "") == "radio":
			if _, on := s.Attr("checked"); on {
				v.Add(name, s.AttrOr("value", "on"))
			}
		default:
			v.Add(name, s.AttrOr("value", ""))
		}
	})
	return v
}

func TestAdminAddsAHostFromItsChatonsInfosFile(t *testing.T) {
	app := newTestApp(t)
	admin := app.staffBrowser(accounts.RoleAdmin, "")
	orgURL, nextcloud, broken := chatonsTestSite(t)

	t.Run("an address that is not http(s) is refused next to the field", func(t *testing.T) {
		res := admin.post("/staff/admin/hosts/new/chatonsinfos", url.Values{"chatons_url": {"ftp://ile.example/org.properties"}})
		adminExpect(t, res, http.StatusBadRequest, "")
		adminCheckErrors(t, res, "fr", map[string]string{"chatons_url": "err.chatons_url.invalid"})
		if got := res.Doc.Find("#f-chatons_url").AttrOr("value", ""); got != "ftp://ile.example/org.properties" {
			t.Errorf("the typed address was lost: %q", got)
		}
	})

	res := admin.get("/staff/admin/hosts/new")
	adminExpect(t, res, http.StatusOK, "")
	adminHasText(t, res, "#chatons-prefill", adminT(t, "fr", "admin.chatons.prefill_title"))

	res = admin.post("/staff/admin/hosts/new/chatonsinfos", url.Values{"chatons_url": {orgURL}})
	adminExpect(t, res, http.StatusOK, "")
	form := formOf(t, res, "/staff/admin/hosts/new")
	for field, want := range map[string]string{
		"host_name": "L'Île numérique", "host_slug": "l-ile-numerique", "host_contact_email": "bonjour@ile-numerique.example",
		"host_website": "https://ile-numerique.example/", "host_departements": "69", "host_region": "Auvergne-Rhône-Alpes", "chatons_url": orgURL,
	} {
		if got := form.Get(field); got != want {
			t.Errorf("%s pre-filled with %q, want %q", field, got, want)
		}
	}
	adminHasText(t, res, "section:has(#chatons-prefill)", "12 rue des Canuts, 69004 Lyon")

	nextcloud.Store("nextcloud-full.properties")
	res = admin.post("/staff/admin/hosts/new", form)
	adminExpect(t, res, http.StatusSeeOther, "")
	page, _, _ := strings.Cut(res.Location, "?")

	t.Run("the created host is linked, read, and paused by its FULL service", func(t *testing.T) {
		res := admin.get(page)
		adminExpect(t, res, http.StatusOK, "")
		adminHasText(t, res, ".panel.warning", adminT(t, "fr", "admin.host.paused"))
		adminHasText(t, res, ".panel.warning", "Nuage de l'Île")
		adminHasText(t, res, "#chatons-services", adminT(t, "fr", "admin.chatons.services"))
		rows := res.Doc.Find("table:has(#chatons-services) tbody tr")
		if rows.Length() != 2 {
			t.Fatalf("%d services listed", rows.Length())
		}
		if got := strings.TrimSpace(rows.First().Find("td").Eq(3).Text()); got != adminT(t, "fr", "admin.chatons.load_full") {
			t.Errorf("Nextcloud's load shown as %q", got)
		}
		if got := res.Doc.Find("#f-chatons_url").AttrOr("value", ""); got != orgURL {
			t.Errorf("linked address shown as %q", got)
		}
	})

	t.Run("a failing file keeps the last values and says so", func(t *testing.T) {
		broken.Store(true)
		res := admin.post(page+"/chatonsinfos", url.Values{"chatons_url": {orgURL}})
		adminExpect(t, res, http.StatusSeeOther, page+"?notice=chatons_failed")
		res = admin.get(res.Location)
		adminHasText(t, res, "#chatons-title ~ .panel.warning", adminT(t, "fr", "chatons.error.fetch"))
		adminHasText(t, res, "#chatons-title ~ dl", "Association lyonnaise")
		broken.Store(false)
	})

	t.Run("back to OPEN resumes matching", func(t *testing.T) {
		nextcloud.Store("nextcloud.properties")
		res := admin.post(page+"/chatonsinfos", url.Values{"chatons_url": {orgURL}})
		adminExpect(t, res, http.StatusSeeOther, page+"?notice=chatons_resumed")
		res = admin.get(res.Location)
		if res.Doc.Find(`form[action="`+page+`/pause"]`).Length() != 1 {
			t.Error("the host is still paused")
		}
	})

	t.Run("only administrators may link a file", func(t *testing.T) {
		staff := app.staffBrowser(accounts.RoleStaff, "h-lyon")
		res := staff.post(page+"/chatonsinfos", url.Values{"chatons_url": {orgURL}})
		if res.Status != http.StatusForbidden && res.Status != http.StatusNotFound {
			t.Errorf("staff member: %d", res.Status)
		}
	})

	t.Run("unlinking stops the readings", func(t *testing.T) {
		adminExpect(t, admin.post(page+"/chatonsinfos/remove", nil), http.StatusSeeOther, page+"?notice=chatons_removed")
		res := admin.get(page)
		if res.Doc.Find("#chatons-services").Length() != 0 {
			t.Error("the services are still shown")
		}
	})
}
