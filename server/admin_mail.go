package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/mail"
)

// AdminMailPage lists the e-mails that keep failing, for an administrator
// to see why and send them again.
type AdminMailPage struct {
	Failing      []mail.Queued
	Pending      int
	FailingAfter int
}

func (h *Handler) adminMail(c *gin.Context) {
	q := h.Postman.Queue
	failing, err := q.Failing(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	pending, _, err := q.Counts(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_mail", h.adminPage(c, "admin.mail.title",
		&AdminMailPage{Failing: failing, Pending: pending, FailingAfter: mail.FailingAfter}))
}

func (h *Handler) adminMailRetry(c *gin.Context) {
	// The audit line commits with the retry.
	ctx := c.Request.Context()
	if err := h.Postman.Queue.Retry(ctx, c.Param("id"), h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionMailRetry, "", "", c.Param("id"))); err != nil {
		h.fail(c, err)
		return
	}
	redirect(c, "/staff/admin/mail", "mail_retried")
}
