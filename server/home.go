package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/rights"
)

func (h *Handler) home(c *gin.Context) {
	h.renderStatic(c, "home", h.page(c, "home.title", nil))
}

// PrivacyPage is what the privacy page states: its retention table is
// written from the declaration the daily retention task applies.
type PrivacyPage struct {
	Retention []rights.Rule
}

func (h *Handler) privacy(c *gin.Context) {
	h.renderStatic(c, "privacy", h.page(c, "privacy.title", &PrivacyPage{Retention: rights.Retention}))
}

func (h *Handler) readyz(c *gin.Context) {
	if err := h.ready(c.Request.Context()); err != nil {
		c.String(http.StatusServiceUnavailable, "database unavailable")
		return
	}
	c.String(http.StatusOK, "ready")
}
