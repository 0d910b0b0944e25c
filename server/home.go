package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (h *Handler) home(c *gin.Context) {
	h.render(c, http.StatusOK, "home", h.page(c, "home.title", nil))
}

func (h *Handler) privacy(c *gin.Context) {
	h.render(c, http.StatusOK, "privacy", h.page(c, "privacy.title", nil))
}

func (h *Handler) readyz(c *gin.Context) {
	if err := h.ready(c.Request.Context()); err != nil {
		c.String(http.StatusServiceUnavailable, "database unavailable")
		return
	}
	c.String(http.StatusOK, "ready")
}
