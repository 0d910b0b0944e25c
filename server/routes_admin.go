package server

import "github.com/gin-gonic/gin"

// adminRoutes lists the administrator's pages: partner hosts, accounts,
// the shared queue and the audit log.
func (h *Handler) adminRoutes(g *gin.RouterGroup) {
}
