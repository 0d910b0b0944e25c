package server

import (
	"context"

	"github.com/gin-gonic/gin"

	"archipel/database"
)

// requestTimeout bounds a request's work (its database queries above all):
// a database that stops answering makes pages fail after
// database.QueryTimeout with an error page, instead of hanging.
func (h *Handler) requestTimeout(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), database.QueryTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}
