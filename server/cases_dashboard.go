package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/database"
	"archipel/training"
)

// CaseDashboardPage is the data of the trainer's dashboard.
type CaseDashboardPage struct {
	Dash *training.Dashboard
	// Scope says whose check-ins and flags are shown: "mine" (a trainer's
	// cases), "host" (a staff member's host) or "all" (an administrator).
	Scope    string
	Demo     bool // "archipel demo": offer to make time pass
	DemoDays string
	// Now is the moment the page was made, to tell late check-ins.
	Now time.Time
}

func (h *Handler) caseDashboard(c *gin.Context) {
	u := userOf(c)
	ctx := c.Request.Context()
	d, err := h.Training.Dashboard(ctx, u)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "cases_dashboard", h.casePage(c, "cases.dashboard.title",
		&CaseDashboardPage{Dash: d, Scope: d.Covers, Demo: u.Admin() && h.Training.Demo(), DemoDays: "7", Now: h.Training.Now()}))
}

// caseDemoAdvance makes check-ins fall due as if days had passed; it
// exists only in "archipel demo".
func (h *Handler) caseDemoAdvance(c *gin.Context) {
	if !h.Training.Demo() {
		h.notFound(c)
		return
	}
	raw := strings.TrimSpace(c.PostForm("days"))
	if raw == "" {
		raw = c.Query("days")
	}
	days, err := strconv.Atoi(raw)
	if err != nil || days < 1 || days > 365 {
		h.renderError(c, http.StatusBadRequest, "err.demo.days")
		return
	}
	// The audit line commits with the shift.
	ctx, u := c.Request.Context(), userOf(c)
	_, err = h.Training.Advance(ctx, u, time.Duration(days)*24*time.Hour, func(n int) database.Then {
		return h.Accounts.RecordIn(ctx, u, accounts.ActionDemoAdvance, "", "", strconv.Itoa(days)+" days, "+strconv.Itoa(n)+" check-ins")
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	caseRedirect(c, "/staff/cases", "advanced")
}
