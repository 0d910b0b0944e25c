package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/templates"
)

// routes lists every route of the service.
func (h *Handler) routes(r *gin.Engine) {
	r.Use(h.recoverer, h.securityHeaders, h.language, h.bodyLimit(64<<10))
	r.NoRoute(h.notFound)
	r.HandleMethodNotAllowed = true
	r.NoMethod(h.notFound)

	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", h.readyz)
	r.StaticFS("/static", http.FS(templates.Static()))

	r.GET("/", h.home)
	r.GET("/confidentialite", h.privacy)

	// The association's guided flow and its private link.
	r.GET("/demande", h.flowStart)
	r.GET("/demande/:step", h.flowStep)
	r.POST("/demande/:step", h.flowStepSubmit)
	r.POST("/lien/renvoyer", h.resendLink)
	r.GET("/reprendre/:token", h.resume)
	r.GET("/suivi", h.status)
	r.GET("/suivi/retirer", h.withdrawConfirm)
	r.POST("/suivi/retirer", h.withdraw)
}
