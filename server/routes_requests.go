package server

import "github.com/gin-gonic/gin"

// staffRoutes lists the staff pages of a host's requests: the review queue,
// a request, its interview, the decision and the provisioning's progress.
func (h *Handler) staffRoutes(g *gin.RouterGroup) {
}
