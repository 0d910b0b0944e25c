package server

import "github.com/gin-gonic/gin"

// staffRoutes lists the staff pages of a host's requests: the review queue,
// a request, its interview, the decision and the provisioning's progress.
// Every handler checks that the signed-in user may see the request's host:
// another host's request answers "not found", for reading and for posting.
func (h *Handler) staffRoutes(g *gin.RouterGroup) {
	g.GET("/requests", h.requestQueue)
	g.GET("/requests/:id", h.requestShow)
	g.POST("/requests/:id/notes", h.requestAddNote)
	g.GET("/requests/:id/interview", h.interviewPage)
	g.POST("/requests/:id/interview", h.interviewSchedule)
	g.POST("/requests/:id/interview/guide", h.interviewGuideSave)
	g.GET("/requests/:id/approve", h.approvePage)
	g.POST("/requests/:id/approve", h.approve)
	g.GET("/requests/:id/decline", h.declinePage)
	g.POST("/requests/:id/decline", h.decline)
	g.GET("/requests/:id/info", h.infoPage)
	g.POST("/requests/:id/info", h.requestInfo)
	g.POST("/requests/:id/provisioning/retry", h.provisioningRetry)
	g.POST("/requests/:id/provisioning/cancel", h.provisioningCancel)
	g.POST("/requests/:id/workspace/disable", h.workspaceDisable)
	g.GET("/decline-templates", h.declineTemplates)
	g.POST("/decline-templates", h.declineTemplateSave)
	g.POST("/decline-templates/:tid/delete", h.declineTemplateDelete)
	// Staff of the request's host hand it to another host, with a reason.
	g.GET("/requests/:id/transfer", h.transferPage)
	g.POST("/requests/:id/transfer", h.transfer)
	// The queue as CSV, and who follows a request.
	g.GET("/requests.csv", h.requestQueueCSV)
	g.POST("/requests/:id/assign", h.requestAssign)
}
