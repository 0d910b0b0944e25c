package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// staffHome is the staff's landing page.
func (h *Handler) staffHome(c *gin.Context) {
	h.render(c, http.StatusOK, "staff_home", h.page(c, "staff.home.title", nil))
}
