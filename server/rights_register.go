package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/rights"
)

// RegisterPage is the register of data-rights requests.
type RegisterPage struct {
	Entries []rights.RegisterEntry
	Now     time.Time
	Overdue int
}

// rightsRegister shows the register: every host's to administrators, their
// host's to staff (the store scopes it).
func (h *Handler) rightsRegister(c *gin.Context) {
	entries, err := h.Rights.Register(c.Request.Context(), userOf(c), 500)
	if err != nil {
		h.fail(c, err)
		return
	}
	p := &RegisterPage{Entries: entries, Now: h.Now()}
	for i := range entries {
		if entries[i].Overdue(p.Now) {
			p.Overdue++
		}
	}
	h.render(c, http.StatusOK, "rights_register", h.page(c, "rights.register.title", p))
}
