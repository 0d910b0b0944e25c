package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
)

// staffExport gives a staff member everything held about their account,
// as JSON.
func (h *Handler) staffExport(c *gin.Context) {
	e, err := h.Rights.ExportStaff(c.Request.Context(), userOf(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.downloadJSON(c, e, "archipel-staff-"+e.Account.ID+".json")
}

// StaffDeletePage asks an administrator to confirm deleting an account.
type StaffDeletePage struct {
	Account *accounts.User
}

// adminUserDeletePage says what deleting an account does.
func (h *Handler) adminUserDeletePage(c *gin.Context) {
	u, err := h.Accounts.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_user_delete", h.adminPage(c, "rights.staff_delete.title", &StaffDeletePage{Account: u}))
}

// adminUserDelete deletes the account; its actions stay under a pseudonym.
func (h *Handler) adminUserDelete(c *gin.Context) {
	ctx := c.Request.Context()
	u, err := h.Accounts.Get(ctx, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	if _, err := h.Rights.DeleteStaff(ctx, userOf(c), u.ID); err != nil {
		if apperr.CodeOf(err) == apperr.Conflict {
			p := h.adminPage(c, "rights.staff_delete.title", &StaffDeletePage{Account: u})
			p.FormError = apperr.KeyOf(err)
			h.render(c, http.StatusConflict, "admin_user_delete", p)
			return
		}
		h.fail(c, err)
		return
	}
	redirect(c, "/staff/admin/users", "staff_deleted")
}
