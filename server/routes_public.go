package server

import (
	"github.com/gin-gonic/gin"

	"archipel/training"
)

// publicRoutes lists the public showcase, the host directory, the figures,
// their feed and open data, and the association's consent link.
func (h *Handler) publicRoutes(r *gin.Engine) {
	// Deps built before the showcase existed (tests of other pages) get one
	// on the same database.
	if h.Showcase == nil && h.DB != nil {
		h.Showcase = training.NewShowcase(h.DB, h.Now)
	}

	// Read-only, so HEAD too (feed readers and link checkers use it; the
	// server sends no body).
	read := func(path string, fn gin.HandlerFunc) {
		r.GET(path, h.keepPublic, fn)
		r.HEAD(path, fn)
	}
	read("/showcase", h.showcaseList)
	read("/showcase.atom", h.showcaseFeed)
	read("/showcase/:id", h.showcaseEntry)
	read("/showcase/logo/:file", h.showcaseLogo)
	read("/hosts", h.hostsDirectory)
	read("/figures", h.figuresPage)
	h.chatonsRoutes(r)

	// Open data: read-only JSON and CSV (UTF-8 with BOM).
	read("/api/v1/showcase", h.apiShowcase)
	read("/api/v1/showcase.csv", h.csvShowcase)
	read("/api/v1/hosts", h.apiHosts)
	read("/api/v1/hosts.csv", h.csvHosts)
	read("/api/v1/figures", h.apiFigures)
	read("/api/v1/figures.csv", h.csvFigures)

	// The association's private link: read the entry, consent, refuse,
	// withdraw.
	r.GET("/showcase/consent/:token", h.consentPage)
	r.POST("/showcase/consent/:token", h.consentDecide)
}

// showcaseStaffRoutes lists the staff pages of a case's showcase entry;
// only the case's host's staff and trainers, and administrators, see them.
func (h *Handler) showcaseStaffRoutes(g *gin.RouterGroup) {
	g.GET("/cases/:id/showcase", h.showcaseStaffPage)
	g.POST("/cases/:id/showcase", h.showcaseStaffSave)
	g.POST("/cases/:id/showcase/logo", h.showcaseStaffLogo)
	g.POST("/cases/:id/showcase/logo/remove", h.showcaseStaffLogoRemove)
	g.POST("/cases/:id/showcase/ask", h.showcaseStaffAsk)
}
