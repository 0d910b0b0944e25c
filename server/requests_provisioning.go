package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning"
)

// jobFor returns the provisioning job of a request staff act on, or shows
// the request's page with why there is none.
func (h *Handler) jobFor(c *gin.Context, app *onboarding.Application) *provisioning.Job {
	job, err := h.Engine.Jobs.ByApplication(c.Request.Context(), app.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		h.refuseOnRequest(c, app, http.StatusConflict, "err.review.no_job", nil, nil)
		return nil
	}
	if err != nil {
		h.fail(c, err)
		return nil
	}
	return job
}

// provisioningRetry puts a stopped provisioning back in the queue; it
// resumes at the step that failed.
func (h *Handler) provisioningRetry(c *gin.Context) {
	app := h.requestOrErasedFor(c)
	if app == nil {
		return
	}
	job := h.jobFor(c, app)
	if job == nil {
		return
	}
	// The audit line commits with the retry.
	ctx, u := c.Request.Context(), userOf(c)
	if err := h.Engine.Jobs.Retry(ctx, u, job.ID, h.Accounts.RecordIn(ctx, u, accounts.ActionProvisioningRetried, app.HostID, app.ID, "job "+job.ID)); err != nil {
		h.refuseProvisioning(c, app, err)
		return
	}
	h.Engine.Wake()
	redirect(c, "/staff/requests/"+app.ID, "retried")
}

// provisioningCancel stops a provisioning that has not finished; what was
// created stays, and a retry resumes.
func (h *Handler) provisioningCancel(c *gin.Context) {
	app := h.requestOrErasedFor(c)
	if app == nil {
		return
	}
	job := h.jobFor(c, app)
	if job == nil {
		return
	}
	// The audit line commits with the cancellation.
	ctx, u := c.Request.Context(), userOf(c)
	if err := h.Engine.Jobs.Cancel(ctx, u, job.ID, h.Accounts.RecordIn(ctx, u, accounts.ActionProvisioningCancelled, app.HostID, app.ID, "job "+job.ID)); err != nil {
		h.refuseProvisioning(c, app, err)
		return
	}
	redirect(c, "/staff/requests/"+app.ID, "cancelled")
}

// workspaceDisable disables the association's account on the host's
// Nextcloud; the data stays.
func (h *Handler) workspaceDisable(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	ctx, u := c.Request.Context(), userOf(c)
	// The audit line, the timeline entry and the association's e-mail
	// commit with the record of the disabling.
	_, err := h.Engine.DisableWorkspace(ctx, u, app.ID,
		func(ws *provisioning.Workspace) database.Then {
			return h.Accounts.RecordIn(ctx, u, accounts.ActionWorkspaceDisabled, app.HostID, app.ID, "account "+ws.AccountID)
		},
		func(*provisioning.Workspace) database.Then {
			return h.Onboarding.AddEventIn(ctx, app.ID, onboarding.EventWorkspaceDisabled, actorOf(c), "", true)
		},
		func(*provisioning.Workspace) database.Then {
			return h.queueLetters(ctx, func() mail.Letter { return h.associationLetter(app, "workspace_disabled", nil) })
		})
	if errors.Is(err, apperr.ErrNotFound) {
		h.refuseOnRequest(c, app, http.StatusConflict, "err.review.no_workspace", nil, nil)
		return
	}
	if err != nil {
		h.refuseProvisioning(c, app, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/requests/"+app.ID, "disabled")
}

// refuseProvisioning shows the request's page with why a provisioning
// action was refused; internal errors get the error page.
func (h *Handler) refuseProvisioning(c *gin.Context, app *onboarding.Application, err error) {
	code := apperr.CodeOf(err)
	if code == apperr.Internal || app.Erased() {
		// An erased request has no page to show it on: the error page
		// says why, in the reader's language.
		h.fail(c, err)
		return
	}
	h.refuseOnRequest(c, app, statusOf(code), apperr.KeyOf(err), nil, nil)
}
