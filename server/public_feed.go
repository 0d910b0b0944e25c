package server

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/training"
)

// ShowcaseFeedSize is how many entries the Atom feed carries, newest first.
const ShowcaseFeedSize = 50

// The Atom feed (RFC 4287), written with encoding/xml, which escapes every
// text and attribute.
type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang     string      `xml:"xml:lang,attr"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   atomPerson  `xml:"author"`
	Rights   string      `xml:"rights"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Author     atomPerson     `xml:"author"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Content    atomText       `xml:"content"`
}

// showcaseFeedContent is an entry's HTML in the feed; html/template escapes the
// association's words, then encoding/xml escapes the whole as text.
var showcaseFeedContent = template.Must(template.New("content").Parse(
	`<p>{{.Place}}</p>{{range .Story}}<p>{{.}}</p>{{end}}{{if .Quote}}<blockquote>{{range .Quote}}<p>{{.}}</p>{{end}}</blockquote>{{end}}` +
		`{{if .Services}}<p>{{.ServicesLabel}} {{range $i, $s := .Services}}{{if $i}}, {{end}}{{$s}}{{end}}</p>{{end}}` +
		`<p>{{.HostLabel}} <a href="{{.HostURL}}">{{.Host}}</a></p>`))

func feedTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// showcaseFeedID is the feed's permanent id: a tag URI (RFC 4151) on the service's
// own domain.
func (h *Handler) showcaseFeedID(q url.Values) string {
	host := "archipel.localhost"
	if u, err := url.Parse(h.opts.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	id := "tag:" + host + ",2026:showcase"
	if len(q) > 0 {
		id += "?" + q.Encode()
	}
	return id
}

func (h *Handler) showcaseFeed(c *gin.Context) {
	st, ok := h.publicStamp(c, false)
	lang := langOf(c)
	if !ok || h.publicFresh(c, st, lang) {
		return
	}
	f := showcaseFilterOf(c)
	f.Page, f.PerPage = 1, ShowcaseFeedSize
	result, err := h.Showcase.Published(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	t := func(id string, args ...any) string { return h.Templates.MustT(lang, id, args...) }
	q := showcaseFilterQuery(f)
	base := h.opts.BaseURL
	feed := atomFeed{
		Lang: lang, ID: h.showcaseFeedID(q), Title: t("showcase.feed.title"), Subtitle: t("showcase.intro"),
		// The latest change to anything the feed is computed from, a
		// withdrawal included.
		Updated: feedTime(st.Modified),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + publicURL("/showcase.atom", q)},
			{Rel: "alternate", Type: "text/html", Href: base + publicURL("/showcase", q)},
			{Rel: "license", Href: training.ShowcaseLicence.URL},
		},
		Author: atomPerson{Name: "Archipel", URI: base + "/"},
		Rights: t("showcase.licence.rights", "Licence", t("showcase.licence.name")),
	}
	if st.Modified.IsZero() {
		feed.Updated = feedTime(time.Unix(0, 0))
	}
	for i := range result.Entries {
		e := &result.Entries[i]
		var labels []string
		var cats []atomCategory
		for _, s := range e.Text.Services {
			label := t("opt.services." + s)
			labels = append(labels, label)
			cats = append(cats, atomCategory{Term: s, Label: label})
		}
		var content bytes.Buffer
		if err := showcaseFeedContent.Execute(&content, map[string]any{
			"Place": t("showcase.place", "Town", e.Text.Town, "Departement", e.DepartementName(), "Region", e.Region),
			"Story": e.Text.StoryParagraphs(), "Quote": e.Text.QuoteParagraphs(),
			"ServicesLabel": t("showcase.services"), "Services": labels,
			"HostLabel": t("showcase.host"), "Host": e.HostName, "HostURL": base + "/hosts#host-" + e.HostSlug,
		}); err != nil {
			h.fail(c, err)
			return
		}
		feed.Entries = append(feed.Entries, atomEntry{
			ID: "urn:uuid:" + e.ID, Title: e.Text.Association, Updated: feedTime(e.UpdatedAt), Published: feedTime(e.PublishedAt),
			Author:     atomPerson{Name: e.HostName, URI: base + "/hosts#host-" + e.HostSlug},
			Links:      []atomLink{{Rel: "alternate", Type: "text/html", Href: base + "/showcase/" + e.ID}},
			Categories: cats,
			Content:    atomText{Type: "html", Body: content.String()},
		})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(feed); err != nil {
		h.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", buf.Bytes())
}
