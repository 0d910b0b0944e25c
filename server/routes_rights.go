package server

import "github.com/gin-gonic/gin"

// rightsRoutes are the data-rights pages: the association's, from its
// private link, and the export schema, open to all.
func (h *Handler) rightsRoutes(r *gin.Engine) {
	r.GET("/suivi/donnees", h.exportAssociation)
	r.GET("/suivi/donnees.json", h.exportAssociation)
	r.GET("/donnees/schema/v1.json", h.exportSchema)
	r.GET("/suivi/effacer", h.erasureAskPage)
	r.POST("/suivi/effacer", h.erasureAsk)
}

// rightsStaffRoutes are the data-rights pages of staff: what is held about
// a request of their host.
func (h *Handler) rightsStaffRoutes(g *gin.RouterGroup) {
	g.GET("/requests/:id/donnees", h.exportStaff)
	g.GET("/requests/:id/donnees.json", h.exportStaff)
	g.GET("/requests/:id/effacer", h.erasureConfirmPage)
	g.POST("/requests/:id/effacer", h.erasureConfirm)
	g.POST("/requests/:id/effacer/refuser", h.erasureRefuse)
	g.GET("/rights", h.rightsRegister)
	g.GET("/account/donnees.json", h.staffExport)
}

// rightsAdminRoutes are the administrators' data-rights pages: deleting a
// staff account.
func (h *Handler) rightsAdminRoutes(g *gin.RouterGroup) {
	g.GET("/users/:id/delete", h.adminUserDeletePage)
	g.POST("/users/:id/delete", h.adminUserDelete)
}
