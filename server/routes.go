package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/templates"
)

// routes lists every route of the service.
func (h *Handler) routes(r *gin.Engine) {
	h.observeRequests(r)
	r.Use(h.recoverer, h.requestTimeout, h.securityHeaders, h.language, h.bodyLimit(64<<10))
	r.NoRoute(h.notFound)
	r.HandleMethodNotAllowed = true
	r.NoMethod(h.notFound)

	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", h.readyz)
	h.metricsRoute(r)
	r.StaticFS("/static", http.FS(templates.Static()))

	r.GET("/", h.home)
	r.GET("/confidentialite", h.privacy)
	r.GET("/charte", h.charter)
	r.GET("/conditions/:slug", h.hostTerms)
	h.publicRoutes(r)

	// The association's guided flow and its private link.
	r.GET("/demande", h.flowStart)
	r.GET("/demande/:step", h.flowStep)
	r.POST("/demande/:step", h.flowStepSubmit)
	r.POST("/lien/renvoyer", h.resendLink)
	r.GET("/reprendre/:token", h.resume)
	r.GET("/suivi", h.status)
	r.GET("/suivi/retirer", h.withdrawConfirm)
	r.POST("/suivi/retirer", h.withdraw)
	r.POST("/suivi/entretien", h.askAnotherTime)

	h.checkinRoutes(r)
	h.rightsRoutes(r)

	// Staff sign-in, open to all.
	r.GET("/staff/login", h.loginPage)
	r.POST("/staff/login", h.login)
	h.oidcRoutes(r)
	r.GET("/staff/reset", h.resetRequestPage)
	r.POST("/staff/reset", h.resetRequest)
	r.GET("/staff/reset/:token", h.setPasswordPage(accounts.PurposeReset))
	r.POST("/staff/reset/:token", h.setPassword(accounts.PurposeReset))
	r.GET("/staff/invitation/:token", h.setPasswordPage(accounts.PurposeInvite))
	r.POST("/staff/invitation/:token", h.setPassword(accounts.PurposeInvite))

	// Staff pages: a session is required; what each role sees is checked in
	// the handlers (another host's request answers "not found").
	staff := r.Group("/staff", h.staffOnly)
	staff.GET("", h.staffHome)
	staff.POST("/logout", h.logout)
	staff.GET("/notifications", h.notifications)
	staff.POST("/notifications", h.notificationsSave)
	h.staffRoutes(staff)
	h.caseRoutes(staff)
	h.showcaseStaffRoutes(staff)
	h.rightsStaffRoutes(staff)

	// The archipelago's administration.
	admin := staff.Group("/admin", h.adminOnly)
	h.adminRoutes(admin)
	h.rightsAdminRoutes(admin)
}
