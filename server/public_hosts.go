package server

import (
	"github.com/gin-gonic/gin"

	"archipel/training"
)

// HostDirectoryPage is the data of the public directory of hosts.
type HostDirectoryPage struct {
	Hosts   []training.HostListing
	Licence training.Licence
}

// PublicFiguresPage is the data of the public figures.
type PublicFiguresPage struct {
	Figures *training.Figures
	Licence training.Licence
}

func (h *Handler) hostsDirectory(c *gin.Context) {
	st, ok := h.publicStamp(c, true)
	if !ok || h.publicFresh(c, st, langOf(c)) {
		return
	}
	hosts, err := h.Showcase.Directory(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderPublic(c, "hosts_directory", h.page(c, "hosts.title", &HostDirectoryPage{Hosts: hosts, Licence: training.ShowcaseLicence}))
}

func (h *Handler) figuresPage(c *gin.Context) {
	st, ok := h.publicStamp(c, true)
	if !ok || h.publicFresh(c, st, langOf(c)) {
		return
	}
	f, err := h.Showcase.Figures(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderPublic(c, "figures", h.page(c, "figures.title", &PublicFiguresPage{Figures: f, Licence: training.ShowcaseLicence}))
}
