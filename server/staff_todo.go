package server

import (
	"log/slog"

	"github.com/gin-gonic/gin"
)

// todo fills the dashboard's to-do counts and lists: a failure is logged
// and leaves that part out, the rest of the page still useful.
func (h *Handler) todo(c *gin.Context, data *StoppedCreations) {
	u := userOf(c)
	if u == nil {
		return
	}
	ctx := c.Request.Context()
	if t, err := h.Onboarding.Todo(ctx, u, h.Now()); err != nil {
		h.Logger.Error("dashboard: requests", slog.Any("err", err))
	} else {
		data.Todo = t
	}
	if h.Training == nil {
		return
	}
	if t, err := h.Training.Todo(ctx, u); err != nil {
		h.Logger.Error("dashboard: cases", slog.Any("err", err))
	} else {
		data.Cases = t
	}
}
