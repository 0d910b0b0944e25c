package server

import (
	"github.com/gin-gonic/gin"

	"archipel/training"
)

// caseRoutes lists the accompaniment pages: the trainer's dashboard, the
// board of a host's cases, a case with its sessions, check-ins and usage,
// the topic catalogue and the funders' report. Staff and trainers see their
// host's cases only (another host's answers "not found"); administrators
// see every host's.
func (h *Handler) caseRoutes(g *gin.RouterGroup) {
	// Deps built before accompaniment existed (tests of other pages) get a
	// store on the same database.
	if h.Training == nil && h.DB != nil {
		h.Training = training.NewStore(h.DB, h.Now)
	}

	g.GET("/cases", h.caseDashboard)
	g.GET("/cases/board", h.caseBoard)
	g.GET("/cases/topics", h.caseTopics)
	g.POST("/cases/topics", h.caseTopicAdd)
	g.GET("/cases/report", h.caseReport)
	g.GET("/cases/report.csv", h.caseReportCSV)
	g.GET("/cases/:id", h.caseShow)
	g.POST("/cases/:id/stage", h.caseMove)
	g.POST("/cases/:id/usage", h.caseReadUsage)
	g.POST("/cases/:id/trainers", h.caseAssign)
	g.GET("/cases/:id/close", h.caseCloseForm)
	g.POST("/cases/:id/close", h.caseClose)
	g.GET("/cases/:id/sessions/new", h.caseSessionNew)
	g.POST("/cases/:id/sessions", h.caseSessionCreate)
	g.GET("/cases/:id/sessions/:sid", h.caseSessionEdit)
	g.POST("/cases/:id/sessions/:sid", h.caseSessionUpdate)

	// A trainer's sessions and private calendar feed.
	g.GET("/sessions", h.caseMySessions)
	g.POST("/sessions/feed", h.caseNewFeed)

	// "archipel demo" only: make time pass for check-ins.
	g.POST("/admin/demo/advance", h.adminOnly, h.caseDemoAdvance)
}

// checkinRoutes lists the association's check-in pages, opened by the
// private link of its e-mail, and the trainers' calendar feeds, opened by
// their private URL.
func (h *Handler) checkinRoutes(r *gin.Engine) {
	if h.Training == nil && h.DB != nil {
		h.Training = training.NewStore(h.DB, h.Now)
	}
	r.GET("/bilan/:token", h.checkinForm)
	r.POST("/bilan/:token", h.checkinAnswer)
	r.GET("/bilan/:token/arreter", h.checkinStopConfirm)
	r.POST("/bilan/:token/arreter", h.checkinStop)
	r.GET("/agenda/:file", h.calendarFeed)
}
