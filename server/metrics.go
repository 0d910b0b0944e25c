package server

import (
	"time"

	"github.com/gin-gonic/gin"
)

// observeRequests counts and times every request under its route pattern
// (gin's FullPath: "/reprendre/:token", never the token itself).
func (h *Handler) observeRequests(r *gin.Engine) {
	if h.Metrics == nil {
		return
	}
	r.Use(func(c *gin.Context) {
		start := time.Now()
		c.Next()
		h.Metrics.HTTPRequest(c.FullPath(), c.Request.Method, c.Writer.Status(), time.Since(start))
	})
}

// metricsRoute serves /metrics on the main port only when a bearer token
// is set; otherwise the metrics are served on their own address (main.go)
// or not at all.
func (h *Handler) metricsRoute(r *gin.Engine) {
	if h.Metrics == nil || h.opts.MetricsToken == "" {
		return
	}
	r.GET("/metrics", gin.WrapH(h.Metrics.Handler(h.opts.MetricsToken)))
}
