package server

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/training"
)

// The open data's JSON answers (README, "Open data and API"). Field names
// are a public contract: add, never rename.

// APIEntry is a published showcase entry.
type APIEntry struct {
	ID              string     `json:"id"`
	URL             string     `json:"url"`
	Association     string     `json:"association"`
	Town            string     `json:"town"`
	Departement     string     `json:"departement"`
	DepartementName string     `json:"departement_name"`
	Region          string     `json:"region"`
	Story           string     `json:"story"`
	Quote           string     `json:"quote"`
	Services        []string   `json:"services"`
	Host            APIHostRef `json:"host"`
	LogoURL         string     `json:"logo_url,omitempty"`
	PublishedAt     time.Time  `json:"published_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// APIHostRef names an entry's host.
type APIHostRef struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// APIShowcase is a page of /api/v1/showcase.
type APIShowcase struct {
	Licence training.Licence  `json:"licence"`
	Filter  map[string]string `json:"filter"`
	Page    int               `json:"page"`
	PerPage int               `json:"per_page"`
	Total   int               `json:"total"`
	Pages   int               `json:"pages"`
	Next    string            `json:"next,omitempty"`
	Prev    string            `json:"prev,omitempty"`
	Entries []APIEntry        `json:"entries"`
}

// APIHost is a host of /api/v1/hosts.
type APIHost struct {
	Slug              string   `json:"slug"`
	Name              string   `json:"name"`
	URL               string   `json:"url"`
	Website           string   `json:"website"`
	Region            string   `json:"region"`
	AllFrance         bool     `json:"all_france"`
	Departements      []string `json:"departements"`
	Regions           []string `json:"regions"`
	Services          []string `json:"services"`
	Accompanied       int      `json:"associations_accompanied"`
	ShowcaseEntries   int      `json:"showcase_entries"`
	AcceptingRequests bool     `json:"accepting_requests"`
	ShowcaseURL       string   `json:"showcase_url"`
	RequestURL        string   `json:"request_url"`
}

// APIHosts is /api/v1/hosts.
type APIHosts struct {
	Licence training.Licence `json:"licence"`
	Hosts   []APIHost        `json:"hosts"`
}

// APIFigure is one host's year.
type APIFigure struct {
	Host        string `json:"host"`
	HostName    string `json:"host_name"`
	Year        int    `json:"year"`
	Accompanied int    `json:"associations_accompanied"`
	Succeeded   int    `json:"succeeded"`
}

// APIYear is every host's year.
type APIYear struct {
	Year        int `json:"year"`
	Accompanied int `json:"associations_accompanied"`
	Succeeded   int `json:"succeeded"`
}

// APIFigures is /api/v1/figures.
type APIFigures struct {
	Licence training.Licence `json:"licence"`
	Years   []int            `json:"years"`
	Figures []APIFigure      `json:"figures"`
	Totals  []APIYear        `json:"totals"`
	Total   APIYear          `json:"total"`
}

func (h *Handler) publicAPIEntry(e *training.ShowcaseEntry) APIEntry {
	base := h.opts.BaseURL
	a := APIEntry{ID: e.ID, URL: base + "/showcase/" + e.ID, Association: e.Text.Association, Town: e.Text.Town,
		Departement: e.Text.Departement, DepartementName: e.DepartementName(), Region: e.Region, Story: e.Text.Story,
		Quote: e.Text.Quote, Services: e.Text.Services,
		Host:        APIHostRef{Slug: e.HostSlug, Name: e.HostName, URL: base + "/hosts#host-" + e.HostSlug},
		PublishedAt: e.PublishedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
	if a.Services == nil {
		a.Services = []string{}
	}
	if e.HasLogo() {
		a.LogoURL = base + "/showcase/logo/" + e.ID + ".png"
	}
	return a
}

func (h *Handler) apiShowcase(c *gin.Context) {
	st, ok := h.publicStamp(c, false)
	if !ok || h.publicFresh(c, st) {
		return
	}
	f := showcaseFilterOf(c)
	result, err := h.Showcase.Published(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := APIShowcase{Licence: training.ShowcaseLicence, Filter: map[string]string{}, Page: f.Page, PerPage: f.PerPage,
		Total: result.Total, Pages: result.Pages(), Entries: []APIEntry{}}
	q := showcaseFilterQuery(f)
	for k := range q {
		out.Filter[k] = q.Get(k)
	}
	pageURL := func(n int) string {
		q := showcaseFilterQuery(f)
		q.Set("page", strconv.Itoa(n))
		if f.PerPage != training.DefaultPerPage {
			q.Set("per_page", strconv.Itoa(f.PerPage))
		}
		return h.opts.BaseURL + publicURL("/api/v1/showcase", q)
	}
	if result.HasNext() {
		out.Next = pageURL(f.Page + 1)
	}
	if result.HasPrev() {
		out.Prev = pageURL(min(f.Page-1, result.Pages()))
	}
	for i := range result.Entries {
		out.Entries = append(out.Entries, h.publicAPIEntry(&result.Entries[i]))
	}
	h.publicJSON(c, out)
}

func (h *Handler) csvShowcase(c *gin.Context) {
	st, ok := h.publicStamp(c, false)
	if !ok || h.publicFresh(c, st) {
		return
	}
	var rows [][]string
	err := h.Showcase.EachPublished(c.Request.Context(), showcaseFilterOf(c), func(e *training.ShowcaseEntry) error {
		a := h.publicAPIEntry(e)
		rows = append(rows, []string{a.ID, a.URL, a.Association, a.Town, a.Departement, a.DepartementName, a.Region, a.Story, a.Quote,
			strings.Join(a.Services, ";"), a.Host.Slug, a.Host.Name, a.LogoURL, a.PublishedAt.Format(time.RFC3339),
			a.UpdatedAt.Format(time.RFC3339), training.ShowcaseLicence.ID})
		return nil
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.publicCSV(c, "archipel-showcase.csv", []string{"id", "url", "association", "town", "departement", "departement_name", "region",
		"story", "quote", "services", "host", "host_name", "logo_url", "published_at", "updated_at", "licence"}, rows)
}

func (h *Handler) publicAPIHosts(c *gin.Context) ([]APIHost, bool) {
	hosts, err := h.Showcase.Directory(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	base := h.opts.BaseURL
	out := []APIHost{}
	for _, l := range hosts {
		a := APIHost{Slug: l.Slug, Name: l.Name, URL: base + "/hosts#host-" + l.Slug, Website: l.Website, Region: l.Region,
			AllFrance: l.AllFrance, Departements: l.Departements, Regions: l.Regions, Services: l.Services,
			Accompanied: l.Accompanied, ShowcaseEntries: l.Published, AcceptingRequests: l.Open,
			ShowcaseURL: base + "/showcase?host=" + url.QueryEscape(l.Slug), RequestURL: base + "/demande"}
		for _, s := range []*[]string{&a.Departements, &a.Regions, &a.Services} {
			if *s == nil {
				*s = []string{}
			}
		}
		out = append(out, a)
	}
	return out, true
}

func (h *Handler) apiHosts(c *gin.Context) {
	st, ok := h.publicStamp(c, true)
	if !ok || h.publicFresh(c, st) {
		return
	}
	if hosts, ok := h.publicAPIHosts(c); ok {
		h.publicJSON(c, APIHosts{Licence: training.ShowcaseLicence, Hosts: hosts})
	}
}

func (h *Handler) csvHosts(c *gin.Context) {
	st, ok := h.publicStamp(c, true)
	if !ok || h.publicFresh(c, st) {
		return
	}
	hosts, ok := h.publicAPIHosts(c)
	if !ok {
		return
	}
	var rows [][]string
	for _, a := range hosts {
		rows = append(rows, []string{a.Slug, a.Name, a.Website, a.Region, strconv.FormatBool(a.AllFrance), strings.Join(a.Departements, ";"),
			strings.Join(a.Regions, ";"), strings.Join(a.Services, ";"), strconv.Itoa(a.Accompanied), strconv.Itoa(a.ShowcaseEntries),
			strconv.FormatBool(a.AcceptingRequests)})
	}
	h.publicCSV(c, "archipel-hosts.csv", []string{"slug", "name", "website", "region", "all_france", "departements", "regions", "services",
		"associations_accompanied", "showcase_entries", "accepting_requests"}, rows)
}

func (h *Handler) publicAPIFigures(c *gin.Context) (*APIFigures, bool) {
	f, err := h.Showcase.Figures(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	out := &APIFigures{Licence: training.ShowcaseLicence, Years: f.Years, Figures: []APIFigure{}, Totals: []APIYear{},
		Total: APIYear{Accompanied: f.Total.Accompanied, Succeeded: f.Total.Succeeded}}
	if out.Years == nil {
		out.Years = []int{}
	}
	for _, hf := range f.Hosts {
		for _, y := range hf.ByYear {
			out.Figures = append(out.Figures, APIFigure{Host: hf.Slug, HostName: hf.Name, Year: y.Year, Accompanied: y.Accompanied, Succeeded: y.Succeeded})
		}
	}
	for _, y := range f.Totals {
		out.Totals = append(out.Totals, APIYear(y))
	}
	return out, true
}

func (h *Handler) apiFigures(c *gin.Context) {
	st, ok := h.publicStamp(c, true)
	if !ok || h.publicFresh(c, st) {
		return
	}
	if f, ok := h.publicAPIFigures(c); ok {
		h.publicJSON(c, f)
	}
}

func (h *Handler) csvFigures(c *gin.Context) {
	st, ok := h.publicStamp(c, true)
	if !ok || h.publicFresh(c, st) {
		return
	}
	f, ok := h.publicAPIFigures(c)
	if !ok {
		return
	}
	var rows [][]string
	for _, r := range f.Figures {
		rows = append(rows, []string{r.Host, r.HostName, strconv.Itoa(r.Year), strconv.Itoa(r.Accompanied), strconv.Itoa(r.Succeeded)})
	}
	h.publicCSV(c, "archipel-figures.csv", []string{"host", "host_name", "year", "associations_accompanied", "succeeded"}, rows)
}
