package server

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/training"
)

// staffHome is the staff's landing page: with the workspace creations that
// wait for them (needing attention or failed), counted apart from those
// still being created.
func (h *Handler) staffHome(c *gin.Context) {
	var stopped []provisioning.Stopped
	if u := userOf(c); u != nil && h.Engine != nil && (u.Admin() || u.Role == accounts.RoleStaff) {
		var err error
		if stopped, err = h.Engine.Jobs.StoppedJobs(c.Request.Context(), u); err != nil {
			h.Logger.Error("list stopped creations", slog.Any("err", err))
		}
	}
	data := stoppedCreations(stopped)
	h.todo(c, &data)
	if h.Rights != nil {
		var err error
		if data.RightsOpen, data.RightsOverdue, err = h.Rights.Waiting(c.Request.Context(), userOf(c)); err != nil {
			h.Logger.Error("count data-rights requests", slog.Any("err", err))
		}
	}
	h.render(c, http.StatusOK, "staff_home", h.page(c, "staff.home.title", data))
}

// StoppedCreations are the dashboards' creations waiting for staff.
type StoppedCreations struct {
	Jobs []provisioning.Stopped
	// Creations stopped, needing attention or failed; clean-ups of erased
	// requests' workspaces are counted apart.
	NeedsAttention int
	Failed         int
	Cleanups       int
	// Data-rights requests waiting for the reader, and those waiting
	// longer than the month the law allows.
	RightsOpen, RightsOverdue int
	// What else waits: requests and cases (nil when unreadable).
	Todo  *onboarding.Todo
	Cases *training.CaseTodo
}

func stoppedCreations(jobs []provisioning.Stopped) StoppedCreations {
	s := StoppedCreations{Jobs: jobs}
	for _, j := range jobs {
		if j.Kind == provisioning.KindCleanup {
			s.Cleanups++
			continue
		}
		if j.Status == provisioning.JobNeedsAttention {
			s.NeedsAttention++
		} else {
			s.Failed++
		}
	}
	return s
}
