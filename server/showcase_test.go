package server_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/server"
	"archipel/training"
)

// hostileText is what a careless or malicious text could hold, for every
// surface to escape.
const hostileText = `<script>alert("x")</script> ]]> "quotes" 'apostrophes' & <img src=x onerror=alert(1)>`

// feed is the Atom feed as a reader parses it back.
type feed struct {
	XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string     `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string     `xml:"id"`
	Title   string     `xml:"title"`
	Updated string     `xml:"updated"`
	Links   []feedLink `xml:"link"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Rights  string      `xml:"rights"`
	Entries []feedEntry `xml:"entry"`
}

type feedLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

type feedEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []feedLink `xml:"link"`
	Author    struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Content struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	} `xml:"content"`
}

func (e *showcaseEnv) feed(t *testing.T, path string) *feed {
	t.Helper()
	r := e.get(path)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("GET %s = %d %s", path, r.Status, r.Header.Get("Content-Type"))
	}
	var f feed
	if err := xml.Unmarshal([]byte(r.Body), &f); err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, r.Body)
	}
	return &f
}

func (e *showcaseEnv) api(t *testing.T, path string) *server.APIShowcase {
	t.Helper()
	r := e.get(path)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET %s = %d %s", path, r.Status, r.Header.Get("Content-Type"))
	}
	var out server.APIShowcase
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("the API answer does not parse: %v", err)
	}
	return &out
}

func (e *showcaseEnv) csv(t *testing.T, path string) [][]string {
	t.Helper()
	r := e.get(path)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("GET %s = %d %s", path, r.Status, r.Header.Get("Content-Type"))
	}
	body, ok := strings.CutPrefix(r.Body, "\ufeff")
	if !ok {
		t.Fatal("the CSV does not start with a BOM")
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	return rows
}

// visible says on which public surfaces an entry appears.
func (e *showcaseEnv) visible(t *testing.T, id string) map[string]bool {
	t.Helper()
	v := map[string]bool{}
	v["page"] = e.get("/showcase/"+id).Status == http.StatusOK
	v["showcase"] = e.get("/showcase").Doc().Find(`a[href="/showcase/`+id+`"]`).Length() > 0
	for _, en := range e.feed(t, "/showcase.atom").Entries {
		v["feed"] = v["feed"] || en.ID == "urn:uuid:"+id
	}
	for _, en := range e.api(t, "/api/v1/showcase").Entries {
		v["api"] = v["api"] || en.ID == id
	}
	for _, row := range e.csv(t, "/api/v1/showcase.csv") {
		v["csv"] = v["csv"] || row[0] == id
	}
	return v
}

func wantVisible(t *testing.T, v map[string]bool, want bool) {
	t.Helper()
	for _, s := range []string{"page", "showcase", "feed", "api", "csv"} {
		if v[s] != want {
			t.Errorf("on %s: visible %t, want %t", s, v[s], want)
		}
	}
}

func TestShowcaseStaffPageIsForTheCaseHostOnly(t *testing.T) {
	e := newShowcaseEnv(t)
	c := e.successCase("h-lyon", "Les Amis du Vélo", "69", "fr")
	path := "/staff/cases/" + c.ID + "/showcase"
	tests := []struct {
		name   string
		cookie *http.Cookie
		want   int
	}{
		{"an administrator sees it", e.staff(accounts.RoleAdmin, ""), http.StatusOK},
		{"the host's staff see it", e.staff(accounts.RoleStaff, "h-lyon"), http.StatusOK},
		{"the host's trainers see it", e.staff(accounts.RoleTrainer, "h-lyon"), http.StatusOK},
		{"another host's staff get not found", e.staff(accounts.RoleStaff, "h-all"), http.StatusNotFound},
		{"another host's trainers get not found", e.staff(accounts.RoleTrainer, "h-all"), http.StatusNotFound},
		{"a visitor is sent to the login page", &http.Cookie{Name: "x", Value: "y"}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.get(path, tt.cookie); r.Status != tt.want {
				t.Errorf("GET = %d, want %d", r.Status, tt.want)
			}
			if r := e.post(path, url.Values{"showcase_name": {"x"}}, tt.cookie); tt.want == http.StatusNotFound && r.Status != http.StatusNotFound {
				t.Errorf("POST = %d, want 404", r.Status)
			}
		})
	}
	t.Run("an unknown case is not found", func(t *testing.T) {
		if r := e.get("/staff/cases/nope/showcase", tests[0].cookie); r.Status != http.StatusNotFound {
			t.Errorf("GET = %d", r.Status)
		}
	})
	t.Run("the draft is filled in from the case", func(t *testing.T) {
		doc := e.get(path, tests[1].cookie).Doc()
		if v, _ := doc.Find("#f-showcase_name").Attr("value"); v != "Les Amis du Vélo" {
			t.Errorf("name %q", v)
		}
		if doc.Find(`#f-showcase_departement option[value="69"][selected]`).Length() != 1 {
			t.Error("département not chosen")
		}
	})
}

func TestShowcaseFromDraftToWithdrawal(t *testing.T) {
	e := newShowcaseEnv(t)
	c := e.successCase("h-lyon", "Les Amis du Vélo", "69", "en")
	staff := e.staff(accounts.RoleStaff, "h-lyon")
	path := "/staff/cases/" + c.ID + "/showcase"
	form := url.Values{"version": {"0"}, "showcase_name": {"Les Amis du Vélo"}, "showcase_town": {"Lyon"},
		"showcase_departement": {"69"}, "showcase_story": {"Trois clés USB.\nUn espace partagé."},
		"showcase_quote": {"Enfin."}, "showcase_services": {"files", "video"}}

	t.Run("a refused form comes back with every value and a message next to the field", func(t *testing.T) {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("showcase_story", "")
		bad.Set("showcase_departement", "99")
		r := e.post(path, bad, staff)
		if r.Status != http.StatusBadRequest {
			t.Fatalf("POST = %d", r.Status)
		}
		doc := r.Doc()
		if doc.Find("#f-showcase_story-error").Length() != 1 || doc.Find("#f-showcase_departement-error").Length() != 1 {
			t.Error("no message next to the fields")
		}
		if v, _ := doc.Find("#f-showcase_town").Attr("value"); v != "Lyon" || doc.Find("#f-showcase_quote").Text() != "Enfin." {
			t.Error("typed values lost")
		}
		if doc.Find(`input[name="showcase_services"][value="video"][checked]`).Length() != 1 {
			t.Error("ticked service lost")
		}
	})

	r := e.post(path, form, staff)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", r.Status, r.Body)
	}
	entry, err := e.sc.ForCase(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a draft is nowhere public", func(t *testing.T) {
		wantVisible(t, e.visible(t, entry.ID), false)
	})

	if r := e.post(path+"/ask", nil, staff); r.Status != http.StatusSeeOther {
		t.Fatalf("ask = %d", r.Status)
	}
	mails, links := e.consentMails(c.ContactEmail)
	if len(mails) != 1 || links[0] == "" {
		t.Fatalf("%d consent mails", len(mails))
	}
	link := strings.TrimPrefix(links[0], showcaseBase)
	consentPath, _, _ := strings.Cut(link, "?")
	t.Run("the association is e-mailed in its language", func(t *testing.T) {
		if !strings.Contains(mails[0].Subject, "Your consent") || !strings.HasSuffix(links[0], "?lang=en") {
			t.Errorf("subject %q, link %s", mails[0].Subject, links[0])
		}
	})
	t.Run("waiting for consent, the entry is nowhere public", func(t *testing.T) {
		wantVisible(t, e.visible(t, entry.ID), false)
	})
	t.Run("the link shows exactly what will be published", func(t *testing.T) {
		r := e.get(link)
		if r.Status != http.StatusOK {
			t.Fatalf("GET link = %d", r.Status)
		}
		text := r.Doc().Find("main").Text()
		for _, want := range []string{"Les Amis du Vélo", "Trois clés USB.", "Un espace partagé.", "Enfin.", "Creative Commons", "L'Île numérique"} {
			if !strings.Contains(text, want) {
				t.Errorf("the page does not show %q", want)
			}
		}
		if r.Doc().Find(`meta[name="robots"][content="noindex"]`).Length() != 1 || r.Header.Get("Cache-Control") != "no-store" {
			t.Error("the private page may be indexed or stored")
		}
	})
	t.Run("an unknown link answers not found", func(t *testing.T) {
		if r := e.get("/showcase/consent/" + strings.Repeat("A", 43)); r.Status != http.StatusNotFound {
			t.Errorf("GET = %d", r.Status)
		}
	})
	t.Run("consent to a version not read is refused and the typed quote kept", func(t *testing.T) {
		r := e.post(consentPath, url.Values{"decision": {"give"}, "version": {"9"}, "showcase_quote": {"Ma citation"}})
		if r.Status != http.StatusConflict || r.Doc().Find("#f-showcase_quote").Text() != "Ma citation" {
			t.Errorf("POST = %d", r.Status)
		}
		wantVisible(t, e.visible(t, entry.ID), false)
	})
	t.Run("a quote too long comes back with its message", func(t *testing.T) {
		r := e.post(consentPath, url.Values{"decision": {"give"}, "version": {"1"}, "showcase_quote": {strings.Repeat("x", 501)}})
		if r.Status != http.StatusBadRequest || r.Doc().Find("#f-showcase_quote-error").Length() != 1 {
			t.Errorf("POST = %d", r.Status)
		}
	})
	t.Run("consent publishes on every surface", func(t *testing.T) {
		r := e.post(consentPath, url.Values{"decision": {"give"}, "version": {"1"}, "showcase_quote": {"Enfin tout au même endroit."}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("POST = %d", r.Status)
		}
		wantVisible(t, e.visible(t, entry.ID), true)
		if !strings.Contains(e.get("/showcase/"+entry.ID).Body, "Enfin tout au même endroit.") {
			t.Error("the rewritten quote is not published")
		}
		if !strings.Contains(e.get(path, staff).Doc().Find("table").Text(), "accord donné") {
			t.Error("the staff page does not show the decision")
		}
	})
	t.Run("a change by the host unpublishes and asks again", func(t *testing.T) {
		cur, _ := e.sc.ForCase(e.ctx, c.ID)
		changed := url.Values{}
		for k, v := range form {
			changed[k] = v
		}
		changed.Set("version", strconv.Itoa(cur.Version))
		changed.Set("showcase_story", "Une autre histoire.")
		changed.Set("showcase_quote", cur.Text.Quote)
		r := e.post(path, changed, staff)
		if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "showcase_reconsent") {
			t.Fatalf("POST = %d %s", r.Status, r.Header.Get("Location"))
		}
		wantVisible(t, e.visible(t, entry.ID), false)
		if mails, _ := e.consentMails(c.ContactEmail); len(mails) != 2 || !strings.Contains(mails[1].Subject, "changed") {
			t.Errorf("%d mails", len(mails))
		}
		// The first link still works, and shows the new text.
		if !strings.Contains(e.get(link).Body, "Une autre histoire.") {
			t.Error("the link does not show the new text")
		}
		if r := e.post(consentPath, url.Values{"decision": {"give"}, "version": {strconv.Itoa(cur.Version + 1)}, "showcase_quote": {cur.Text.Quote}}); r.Status != http.StatusSeeOther {
			t.Fatalf("consent again = %d", r.Status)
		}
		wantVisible(t, e.visible(t, entry.ID), true)
	})
	t.Run("withdrawal removes it at once from every surface", func(t *testing.T) {
		r := e.post(consentPath, url.Values{"decision": {"withdraw"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("POST = %d", r.Status)
		}
		wantVisible(t, e.visible(t, entry.ID), false)
		if notice := e.get(r.Header.Get("Location")).Doc().Find(".notice").Text(); !strings.Contains(notice, "n'apparaît plus") {
			t.Errorf("notice %q", notice)
		}
		if r := e.post(path+"/ask", nil, staff); r.Status != http.StatusConflict {
			t.Errorf("asking again about a withdrawn text = %d", r.Status)
		}
	})
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.Black)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestShowcaseLogo(t *testing.T) {
	e := newShowcaseEnv(t)
	c := e.successCase("h-lyon", "Les Amis du Vélo", "69", "fr")
	staff := e.staff(accounts.RoleStaff, "h-lyon")
	entry, token := e.publish(c, storyText("Les Amis du Vélo", "69"))
	path := "/staff/cases/" + c.ID + "/showcase/logo"
	version := func() url.Values {
		cur, _ := e.sc.ForCase(e.ctx, c.ID)
		return url.Values{"version": {strconv.Itoa(cur.Version)}}
	}
	bomb := pngBytes(t, 4, 4)
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0}) // 100000x100000; the checksum no longer matches either

	tests := []struct {
		name    string
		content []byte
		status  int
		message string
	}{
		{"a file that is not an image is refused", []byte("<html><script>alert(1)</script></html>"), http.StatusBadRequest, "n'est pas une image PNG ou JPEG"},
		{"an image over the size limit is refused", append(pngBytes(t, 8, 8), make([]byte, training.MaxLogoBytes)...), http.StatusRequestEntityTooLarge, "trop lourd"},
		{"a crafted header is refused", bomb, http.StatusBadRequest, "abîmée"},
		{"no file is refused", nil, http.StatusBadRequest, "Choisissez un fichier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(path, version(), "showcase_logo", "logo.png", tt.content, staff)
			if r.Status != tt.status {
				t.Fatalf("POST = %d, want %d", r.Status, tt.status)
			}
			msg := r.Doc().Find("#f-showcase_logo-error").Text()
			if !strings.Contains(msg, tt.message) {
				t.Errorf("message %q", msg)
			}
			if v, _ := r.Doc().Find("#f-showcase_name").Attr("value"); v != "Les Amis du Vélo" {
				t.Errorf("the text form lost its values: %q", v)
			}
			if cur, _ := e.sc.ForCase(e.ctx, c.ID); cur.HasLogo() || !cur.Published() {
				t.Error("a refused logo changed the entry")
			}
		})
	}
	t.Run("a body over the service's limit is refused before the handler", func(t *testing.T) {
		r := e.upload(path, version(), "showcase_logo", "logo.png", make([]byte, training.MaxLogoBytes+100<<10), staff)
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("POST = %d", r.Status)
		}
	})

	t.Run("a logo is served from our origin once the association consents", func(t *testing.T) {
		r := e.upload(path, version(), "showcase_logo", "logo.png", pngBytes(t, 64, 32), staff)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("POST = %d\n%s", r.Status, r.Body)
		}
		if r := e.get("/showcase/logo/" + entry.ID + ".png"); r.Status != http.StatusNotFound {
			t.Errorf("the new logo is public before consent: %d", r.Status)
		}
		cur, _ := e.sc.ForCase(e.ctx, c.ID)
		if _, err := e.sc.Consent(e.ctx, token, cur.Version, cur.Text.Quote); err != nil {
			t.Fatal(err)
		}
		r = e.get("/showcase/logo/" + entry.ID + ".png")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET logo = %d %v", r.Status, r.Header)
		}
		img, err := png.Decode(strings.NewReader(r.Body))
		if err != nil || img.Bounds().Dx() != 64 {
			t.Errorf("served logo: %v", err)
		}
		if again := e.get("/showcase/logo/"+entry.ID+".png", "If-None-Match: "+r.Header.Get("ETag")); again.Status != http.StatusNotModified {
			t.Errorf("revalidation = %d", again.Status)
		}
		img2 := e.get("/showcase/" + entry.ID).Doc().Find("main img")
		if src, _ := img2.Attr("src"); src != "/showcase/logo/"+entry.ID+".png" {
			t.Errorf("entry page logo %q", src)
		}
		for _, bad := range []string{"/showcase/logo/" + entry.ID, "/showcase/logo/" + entry.ID + ".svg", "/showcase/logo/nope.png"} {
			if r := e.get(bad); r.Status != http.StatusNotFound {
				t.Errorf("GET %s = %d", bad, r.Status)
			}
		}
	})
}

func TestShowcaseEscapesHostileTextsEverywhere(t *testing.T) {
	e := newShowcaseEnv(t)
	c := e.successCase("h-lyon", "x", "69", "fr")
	text := training.ShowcaseText{Association: hostileText, Town: hostileText, Departement: "69", Story: hostileText + "\n" + hostileText,
		Quote: hostileText, Services: []string{"files"}}
	entry, token := e.publish(c, text)
	for _, path := range []string{"/showcase", "/showcase/" + entry.ID, "/hosts", "/showcase/consent/" + token} {
		t.Run("the page "+path, func(t *testing.T) {
			r := e.get(path)
			if r.Status != http.StatusOK {
				t.Fatalf("GET = %d", r.Status)
			}
			if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, "<img src=x") {
				t.Error("a text went out unescaped")
			}
			if !strings.Contains(r.Doc().Find("main").Text(), `<script>alert("x")</script>`) {
				t.Error("the text is not shown as typed")
			}
		})
	}
	t.Run("the feed", func(t *testing.T) {
		r := e.get("/showcase.atom")
		if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, "<img src=x") {
			t.Error("markup in the feed")
		}
		f := e.feed(t, "/showcase.atom")
		en := f.Entries[0]
		if en.Title != hostileText {
			t.Errorf("title %q", en.Title)
		}
		// The content is HTML; the association's words are text inside it.
		if !strings.Contains(en.Content.Body, "&lt;script&gt;") || strings.Contains(en.Content.Body, "<script>") || strings.Contains(en.Content.Body, "<img") {
			t.Errorf("content %q", en.Content.Body)
		}
	})
	t.Run("the API", func(t *testing.T) {
		r := e.get("/api/v1/showcase")
		if strings.Contains(r.Body, "<script>") {
			t.Error("raw markup in the JSON")
		}
		a := e.api(t, "/api/v1/showcase")
		if a.Entries[0].Story != hostileText+"\n"+hostileText || a.Entries[0].Quote != hostileText {
			t.Errorf("the API changed the text: %q", a.Entries[0].Story)
		}
	})
	t.Run("the CSV", func(t *testing.T) {
		rows := e.csv(t, "/api/v1/showcase.csv")
		if len(rows) != 2 || rows[1][2] != hostileText || rows[1][7] != hostileText+"\n"+hostileText {
			t.Errorf("rows %q", rows)
		}
	})
}

func TestShowcaseCSVKeepsFormulasFromRunning(t *testing.T) {
	e := newShowcaseEnv(t)
	text := storyText("=HYPERLINK(\"http://evil.example\")", "69")
	text.Town = "@SUM(A1)"
	e.publish(e.successCase("h-lyon", "x", "69", "fr"), text)
	rows := e.csv(t, "/api/v1/showcase.csv")
	if rows[1][2] != `'=HYPERLINK("http://evil.example")` || rows[1][3] != "'@SUM(A1)" {
		t.Errorf("cells %q, %q", rows[1][2], rows[1][3])
	}
	if rows[0][0] != "id" || rows[1][len(rows[1])-1] != "CC-BY-SA-4.0" {
		t.Errorf("header %q", rows[0])
	}
}

func TestShowcaseFeedIsValidAtom(t *testing.T) {
	e := newShowcaseEnv(t)
	var ids []string
	for i, dep := range []string{"69", "01", "29"} {
		entry, _ := e.publish(e.successCase("h-lyon", "Asso "+strconv.Itoa(i), dep, "fr"), storyText("Asso "+strconv.Itoa(i), dep))
		ids = append(ids, entry.ID)
	}
	f := e.feed(t, "/showcase.atom")
	parse := func(what, v string) time.Time {
		t.Helper()
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Errorf("%s %q is not an RFC 3339 date", what, v)
		}
		return at
	}
	if f.Lang != "fr" || !strings.HasPrefix(f.ID, "tag:archipel.test,2026:") || f.Title == "" || f.Author.Name == "" || f.Rights == "" {
		t.Errorf("feed %+v", f)
	}
	parse("feed updated", f.Updated)
	rels := map[string]string{}
	for _, l := range f.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != showcaseBase+"/showcase.atom" || rels["alternate"] != showcaseBase+"/showcase" || rels["license"] == "" {
		t.Errorf("links %v", rels)
	}
	if len(f.Entries) != 3 {
		t.Fatalf("%d entries", len(f.Entries))
	}
	for i, en := range f.Entries {
		if en.ID != "urn:uuid:"+ids[2-i] {
			t.Errorf("entry %d is %s, want the newest first", i, en.ID)
		}
		if en.Title == "" || en.Author.Name != "L'Île numérique" || en.Content.Type != "html" || !strings.Contains(en.Content.Body, "<p>") {
			t.Errorf("entry %+v", en)
		}
		if len(en.Links) != 1 || en.Links[0].Rel != "alternate" || en.Links[0].Href != showcaseBase+"/showcase/"+ids[2-i] {
			t.Errorf("entry links %+v", en.Links)
		}
		if parse("updated", en.Updated).Before(parse("published", en.Published)) {
			t.Error("updated before published")
		}
	}
	t.Run("the feed follows the filters", func(t *testing.T) {
		f := e.feed(t, "/showcase.atom?departement=01")
		if len(f.Entries) != 1 || f.Entries[0].ID != "urn:uuid:"+ids[1] {
			t.Errorf("%d entries", len(f.Entries))
		}
		for _, l := range f.Links {
			if l.Rel == "self" && l.Href != showcaseBase+"/showcase.atom?departement=01" {
				t.Errorf("self %s", l.Href)
			}
		}
		if f := e.feed(t, "/showcase.atom?host=nope"); len(f.Entries) != 0 {
			t.Error("unknown host in the feed")
		}
	})
	t.Run("the pages announce it", func(t *testing.T) {
		for _, p := range []string{"/showcase", "/showcase?region=Bretagne", "/showcase/" + ids[0]} {
			link := e.get(p).Doc().Find(`head link[rel="alternate"][type="application/atom+xml"]`)
			if href, _ := link.Attr("href"); !strings.HasPrefix(href, "/showcase.atom") {
				t.Errorf("%s announces %q", p, href)
			}
		}
	})
}

func TestShowcaseAPIFiltersAndPages(t *testing.T) {
	e := newShowcaseEnv(t)
	var ids []string // newest last
	for i, spec := range []struct{ host, dep string }{{"h-lyon", "69"}, {"h-lyon", "01"}, {"h-all", "29"}, {"h-all", "974"}, {"h-lyon", "69"}} {
		text := storyText("Asso "+strconv.Itoa(i), spec.dep)
		if i%2 == 1 {
			text.Services = []string{"video"}
		}
		entry, _ := e.publish(e.successCase(spec.host, "Asso "+strconv.Itoa(i), spec.dep, "fr"), text)
		ids = append(ids, entry.ID)
	}
	got := func(a *server.APIShowcase) string {
		var out []string
		for _, en := range a.Entries {
			for i, id := range ids {
				if en.ID == id {
					out = append(out, strconv.Itoa(i))
				}
			}
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name, query, want string
		total             int
	}{
		{"everything, newest first", "", "4,3,2,1,0", 5},
		{"by region", "region=" + url.QueryEscape("Auvergne-Rhône-Alpes"), "4,1,0", 3},
		{"by département", "departement=69", "4,0", 2},
		{"by host", "host=recif-solidaire", "3,2", 2},
		{"by service", "service=video", "3,1", 2},
		{"combined", "host=ile-numerique&service=files", "4,0", 2},
		{"an unknown region", "region=Atlantide", "", 0},
		{"an unknown service", "service=%3Cscript%3E", "", 0},
		{"a page", "per_page=2&page=2", "2,1", 5},
		{"a page past the end", "per_page=2&page=50", "", 5},
		{"a page that is not a number", "page=abc&per_page=xyz", "4,3,2,1,0", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.api(t, "/api/v1/showcase?"+tt.query)
			if got(a) != tt.want || a.Total != tt.total || a.Entries == nil {
				t.Errorf("entries %s, total %d", got(a), a.Total)
			}
			if a.Licence.ID != "CC-BY-SA-4.0" || a.Licence.URL == "" {
				t.Errorf("licence %+v", a.Licence)
			}
			if rows := e.csv(t, "/api/v1/showcase.csv?"+tt.query); !strings.Contains(tt.query, "page") && len(rows)-1 != tt.total {
				t.Errorf("the CSV has %d rows", len(rows)-1)
			}
			page := e.get("/showcase?" + tt.query)
			if page.Status != http.StatusOK {
				t.Errorf("page = %d", page.Status)
			}
		})
	}
	t.Run("pages link to each other with the same filter", func(t *testing.T) {
		a := e.api(t, "/api/v1/showcase?region="+url.QueryEscape("Auvergne-Rhône-Alpes")+"&per_page=1&page=2")
		if a.Pages != 3 || !strings.Contains(a.Next, "page=3") || !strings.Contains(a.Prev, "page=1") || !strings.Contains(a.Next, "region=") {
			t.Errorf("next %q, prev %q, pages %d", a.Next, a.Prev, a.Pages)
		}
	})
	t.Run("an entry carries what a reuser needs", func(t *testing.T) {
		en := e.api(t, "/api/v1/showcase?departement=974").Entries[0]
		if en.Region != "La Réunion" || en.DepartementName != "La Réunion" || en.Host.Slug != "recif-solidaire" ||
			en.URL != showcaseBase+"/showcase/"+ids[3] || en.PublishedAt.IsZero() || len(en.Services) == 0 {
			t.Errorf("entry %+v", en)
		}
	})
	t.Run("the showcase page paginates with the same filter", func(t *testing.T) {
		for i := 0; i < 25; i++ {
			e.publish(e.successCase("h-all", "Plus "+strconv.Itoa(i), "29", "fr"), storyText("Plus "+strconv.Itoa(i), "29"))
		}
		doc := e.get("/showcase?departement=29").Doc()
		if n := doc.Find("main article").Length(); n != 20 {
			t.Errorf("%d entries on the first page", n)
		}
		next, _ := doc.Find(`a[rel="next"]`).Attr("href")
		if next != "/showcase?departement=29&page=2" {
			t.Errorf("next %q", next)
		}
		doc = e.get(next).Doc()
		if n := doc.Find("main article").Length(); n != 6 || doc.Find(`a[rel="next"]`).Length() != 0 {
			t.Errorf("%d entries on the second page", n)
		}
	})
	t.Run("an unknown filter gives an empty, valid page", func(t *testing.T) {
		r := e.get("/showcase?region=Atlantide&service=" + url.QueryEscape(hostileText))
		if r.Status != http.StatusOK || r.Doc().Find("main article").Length() != 0 || strings.Contains(r.Body, "<script>") {
			t.Errorf("GET = %d", r.Status)
		}
	})
}

func TestShowcaseConditionalRequests(t *testing.T) {
	e := newShowcaseEnv(t)
	c := e.successCase("h-lyon", "Les Amis du Vélo", "69", "fr")
	entry, token := e.publish(c, storyText("Les Amis du Vélo", "69"))
	surfaces := []string{"/showcase", "/showcase?region=Bretagne", "/showcase/" + entry.ID, "/showcase.atom", "/api/v1/showcase",
		"/api/v1/showcase.csv", "/hosts", "/figures", "/api/v1/hosts", "/api/v1/hosts.csv", "/api/v1/figures", "/api/v1/figures.csv"}
	etags := map[string]string{}
	for _, path := range surfaces {
		t.Run(path, func(t *testing.T) {
			r := e.get(path)
			etag, lm := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
			if r.Status != http.StatusOK || etag == "" || lm == "" || r.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("GET = %d, ETag %q, Last-Modified %q, Cache-Control %q", r.Status, etag, lm, r.Header.Get("Cache-Control"))
			}
			etags[path] = etag
			for _, h := range []string{"If-None-Match: " + etag, "If-None-Match: \"x\", " + etag, "If-Modified-Since: " + lm} {
				if r := e.get(path, h); r.Status != http.StatusNotModified || r.Body != "" || r.Header.Get("ETag") != etag {
					t.Errorf("%s: %d, %d bytes", h, r.Status, len(r.Body))
				}
			}
			lmTime, _ := http.ParseTime(lm)
			for _, h := range []string{`If-None-Match: "other"`, "If-Modified-Since: " + lmTime.Add(-time.Hour).Format(http.TimeFormat),
				// If-None-Match wins over If-Modified-Since.
				`If-None-Match: "other"`, "If-Modified-Since: nonsense"} {
				if r := e.get(path, h); r.Status != http.StatusOK {
					t.Errorf("%s: %d", h, r.Status)
				}
			}
			if r := e.get(path, `If-None-Match: "other"`, "If-Modified-Since: "+lm); r.Status != http.StatusOK {
				t.Errorf("If-None-Match did not win: %d", r.Status)
			}
		})
	}
	t.Run("HEAD answers like GET", func(t *testing.T) {
		for _, path := range surfaces {
			r := e.request(http.MethodHead, path, nil, "")
			if r.Status != http.StatusOK || r.Header.Get("ETag") != etags[path] {
				t.Errorf("HEAD %s = %d, ETag %q", path, r.Status, r.Header.Get("ETag"))
			}
		}
	})
	t.Run("pages and the feed vary with the language", func(t *testing.T) {
		for _, path := range []string{"/showcase", "/showcase.atom"} {
			if r := e.get(path, "Accept-Language: en"); r.Header.Get("ETag") == etags[path] {
				t.Errorf("%s: same ETag in English", path)
			}
		}
	})
	t.Run("after a withdrawal no copy is still good", func(t *testing.T) {
		if _, err := e.sc.Withdraw(e.ctx, token); err != nil {
			t.Fatal(err)
		}
		for _, path := range surfaces {
			r := e.get(path, "If-None-Match: "+etags[path])
			if r.Status == http.StatusNotModified {
				t.Errorf("%s: still 304", path)
			}
		}
	})
}

func TestHostsDirectoryAndFigures(t *testing.T) {
	e := newShowcaseEnv(t)
	e.publish(e.successCase("h-lyon", "Les Amis du Vélo", "69", "fr"), storyText("Les Amis du Vélo", "69"))
	e.successCase("h-lyon", "Deuxième", "01", "fr")

	doc := e.get("/hosts").Doc()
	lyon := doc.Find("#host-ile-numerique")
	if lyon.Length() != 1 || !strings.Contains(lyon.Text(), "Les Amis du Vélo") || lyon.Find(`a[href="/demande?hebergeur=ile-numerique"]`).Length() != 1 {
		t.Errorf("directory line of L'Île numérique:\n%s", lyon.Text())
	}
	if paused := doc.Find("#host-lagon-complet"); paused.Find(".tag.attention").Length() != 1 {
		t.Error("a paused host is not shown as such")
	}
	var hosts server.APIHosts
	if err := json.Unmarshal([]byte(e.get("/api/v1/hosts").Body), &hosts); err != nil {
		t.Fatal(err)
	}
	if len(hosts.Hosts) != 3 || hosts.Licence.ID == "" {
		t.Fatalf("hosts %+v", hosts)
	}
	byslug := map[string]server.APIHost{}
	for _, h := range hosts.Hosts {
		byslug[h.Slug] = h
	}
	if h := byslug["ile-numerique"]; h.Accompanied != 2 || h.ShowcaseEntries != 1 || !h.AcceptingRequests || strings.Join(h.Departements, ",") != "69,01" {
		t.Errorf("L'Île numérique %+v", h)
	}
	if h := byslug["lagon-complet"]; h.AcceptingRequests || !h.AllFrance {
		t.Errorf("Lagon complet %+v", h)
	}
	if rows := e.csv(t, "/api/v1/hosts.csv"); len(rows) != 4 {
		t.Errorf("%d CSV rows", len(rows))
	}

	var figures server.APIFigures
	if err := json.Unmarshal([]byte(e.get("/api/v1/figures").Body), &figures); err != nil {
		t.Fatal(err)
	}
	year := time.Now().Add(-time.Hour).In(time.UTC).Year()
	if figures.Total.Accompanied != 2 || figures.Total.Succeeded != 2 || len(figures.Years) != 1 || len(figures.Figures) != 3 {
		t.Errorf("figures %+v (year %d)", figures, year)
	}
	table := e.get("/figures").Doc().Find("main table").First()
	if table.Find("tbody tr").Length() != 3 || !strings.Contains(table.Find("tfoot").Text(), "2") {
		t.Errorf("figures table:\n%s", table.Text())
	}
	if rows := e.csv(t, "/api/v1/figures.csv"); len(rows) != 4 || rows[0][0] != "host" {
		t.Errorf("figures CSV %q", rows)
	}
}
