package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/apperr"
	"archipel/onboarding"
)

// HostTermsPage is the data of a host's terms as Archipel shows them to
// associations choosing it: the current version of its text.
type HostTermsPage struct {
	Host       string
	Version    int
	Date       time.Time
	Paragraphs []string
}

// paragraphs splits a text at its blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// hostTerms shows the current terms of an open host; a host that wrote
// none (or is closed to requests) is not found.
func (h *Handler) hostTerms(c *gin.Context) {
	ctx := c.Request.Context()
	hosts, err := h.Onboarding.OpenHosts(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, host := range hosts {
		if host.Slug != c.Param("slug") || host.TermsText == "" {
			continue
		}
		t, err := h.Onboarding.HostTermsVersion(ctx, host.ID, host.TermsVersion)
		if err != nil {
			h.fail(c, err)
			return
		}
		h.render(c, http.StatusOK, "host_terms", h.page(c, "terms.page_title",
			&HostTermsPage{Host: host.Name, Version: t.Version, Date: t.CreatedAt, Paragraphs: paragraphs(t.Body)}))
		return
	}
	h.notFound(c)
}

// TermsLine is what a request's page says of the terms the association
// accepted: which text, its version and digest, and, for a host's own
// terms, that very text.
type TermsLine struct {
	Charter    bool
	Host       string
	Version    string // a number, the charter's version, or a date
	Dated      bool   // Version is the date of a host's terms page (no text in Archipel)
	Digest     string // the first 12 hexadecimal digits
	Paragraphs []string
}

// termsLine reads the terms a request recorded; nil for a request sent
// before they were.
func (h *Handler) termsLine(c *gin.Context, rd *readable, t *onboarding.AcceptedTerms) (*TermsLine, error) {
	if t == nil {
		return nil, nil
	}
	l := &TermsLine{Charter: t.Kind == onboarding.TermsCharter, Version: t.Version, Digest: t.Digest}
	if len(l.Digest) > 12 {
		l.Digest = l.Digest[:12]
	}
	if l.Charter || len(t.Hosts) == 0 {
		return l, nil
	}
	th := t.Hosts[0]
	l.Host = th.Host
	if th.Version == 0 {
		if at, err := time.Parse(time.RFC3339, t.Version); err == nil {
			l.Version, l.Dated = rd.datetime(at), true
		}
		return l, nil
	}
	text, err := h.Onboarding.HostTermsVersion(c.Request.Context(), th.HostID, th.Version)
	if errors.Is(err, apperr.ErrNotFound) {
		return l, nil
	}
	if err != nil {
		return nil, err
	}
	l.Version, l.Paragraphs = strconv.Itoa(th.Version), paragraphs(text.Body)
	return l, nil
}
