package server

import "github.com/gin-gonic/gin"

// adminRoutes lists the administrator's pages: partner hosts, accounts,
// the shared queue and the audit log.
func (h *Handler) adminRoutes(g *gin.RouterGroup) {
	g.GET("/hosts", h.adminHosts)
	g.GET("/hosts/new", h.adminHostNew)
	g.POST("/hosts/new", h.adminHostCreate)
	g.GET("/hosts/:id", h.adminHostEdit)
	g.POST("/hosts/:id", h.adminHostUpdate)
	g.POST("/hosts/:id/pause", h.adminHostPause(true))
	g.POST("/hosts/:id/resume", h.adminHostPause(false))
	g.GET("/hosts/:id/connection", h.adminConnection)
	g.POST("/hosts/:id/connection", h.adminConnectionSave)
	g.POST("/hosts/:id/check", h.adminConnectionCheck)
	h.adminChatonsRoutes(g)

	g.GET("/users", h.adminUsers)
	g.POST("/users", h.adminInvite)
	g.POST("/users/:id/disable", h.adminUserActive(false))
	g.POST("/users/:id/enable", h.adminUserActive(true))
	g.POST("/users/:id/invite", h.adminReinvite)

	g.GET("/audit", h.adminAudit)

	g.GET("/mail", h.adminMail)
	g.POST("/mail/:id/retry", h.adminMailRetry)

	g.GET("/queue", h.adminQueue)
	g.GET("/queue/:id", h.adminAssignPage)
	g.POST("/queue/:id", h.adminAssign)
	g.GET("/requests/:id/transfer", h.transferPage)
	g.POST("/requests/:id/transfer", h.transfer)
}
