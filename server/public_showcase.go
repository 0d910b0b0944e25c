package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"archipel/onboarding"
	"archipel/training"
)

// ShowcaseListPage is the data of the public showcase.
type ShowcaseListPage struct {
	Result       *training.ShowcasePage
	Regions      []string
	Departements []onboarding.Departement
	Hosts        []training.HostName
	Services     []string
	Licence      training.Licence
}

// showcaseFilterQuery is the filter as a query string, without the page.
func showcaseFilterQuery(f training.ShowcaseFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"region": f.Region, "departement": f.Departement, "host": f.Host, "service": f.Service} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func publicURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// PageURL is the showcase's page n with the same filter.
func (p *ShowcaseListPage) PageURL(n int) string {
	q := showcaseFilterQuery(p.Result.Filter)
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	return publicURL("/showcase", q)
}

// FeedURL is the Atom feed of the same filter.
func (p *ShowcaseListPage) FeedURL() string {
	return publicURL("/showcase.atom", showcaseFilterQuery(p.Result.Filter))
}

// APIURL is the JSON answer of the same filter.
func (p *ShowcaseListPage) APIURL() string {
	return publicURL("/api/v1/showcase", showcaseFilterQuery(p.Result.Filter))
}

// CSVURL is the CSV export of the same filter.
func (p *ShowcaseListPage) CSVURL() string {
	return publicURL("/api/v1/showcase.csv", showcaseFilterQuery(p.Result.Filter))
}

// ShowcaseEntryPage is the data of a published entry's page.
type ShowcaseEntryPage struct {
	Entry   *training.ShowcaseEntry
	Licence training.Licence
}

// showcaseFilterOf reads the showcase filter from the query string; paging that is
// not a number is the first page.
func showcaseFilterOf(c *gin.Context) training.ShowcaseFilter {
	f := training.ShowcaseFilter{Region: c.Query("region"), Departement: c.Query("departement"), Host: c.Query("host"),
		Service: c.Query("service")}
	f.Page, _ = strconv.Atoi(c.Query("page"))
	f.PerPage, _ = strconv.Atoi(c.Query("per_page"))
	f.Normalize()
	return f
}

func (h *Handler) showcaseList(c *gin.Context) {
	st, ok := h.publicStamp(c, false)
	if !ok || h.publicFresh(c, st, langOf(c)) {
		return
	}
	f := showcaseFilterOf(c)
	f.PerPage = training.DefaultPerPage
	ctx := c.Request.Context()
	result, err := h.Showcase.Published(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	hosts, err := h.Showcase.HostNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderPublic(c, "showcase_list", h.page(c, "showcase.title", &ShowcaseListPage{
		Result: result, Regions: onboarding.Regions(), Departements: onboarding.Departements(), Hosts: hosts,
		Services: onboarding.Services, Licence: training.ShowcaseLicence,
	}))
}

func (h *Handler) showcaseEntry(c *gin.Context) {
	st, ok := h.publicStamp(c, false)
	if !ok || h.publicFresh(c, st, langOf(c)) {
		return
	}
	e, err := h.Showcase.PublishedEntry(c.Request.Context(), c.Param("id"))
	if err != nil {
		c.Writer.Header().Del("ETag")
		c.Writer.Header().Del("Last-Modified")
		h.fail(c, err)
		return
	}
	h.renderPublic(c, "showcase_entry", h.page(c, "showcase.entry.title", &ShowcaseEntryPage{Entry: e, Licence: training.ShowcaseLicence}))
}

// showcaseLogo serves a published entry's logo, as re-encoded when it was
// uploaded, from our own origin.
func (h *Handler) showcaseLogo(c *gin.Context) {
	id, ok := strings.CutSuffix(c.Param("file"), ".png")
	if !ok {
		h.notFound(c)
		return
	}
	logo, digest, err := h.Showcase.PublishedLogo(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	hd := c.Writer.Header()
	etag := `"` + digest + `"`
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Content-Disposition", `inline; filename="logo.png"`)
	if inm := c.GetHeader("If-None-Match"); inm != "" && publicETagMatches(inm, etag) {
		c.Status(http.StatusNotModified)
		c.Writer.WriteHeaderNow()
		return
	}
	c.Data(http.StatusOK, "image/png", logo)
}
