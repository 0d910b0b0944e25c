package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
	"archipel/rights"
)

// statusData gathers the association's status page: the timeline, the
// planned interview, and what staff asked for.
func (h *Handler) statusData(ctx context.Context, app *onboarding.Application) (*StatusPage, error) {
	events, err := h.Onboarding.Events(ctx, app.ID, true)
	if err != nil {
		return nil, err
	}
	sp := statusPage(app, events)
	if sp.Erasure, err = h.Rights.ErasureStateOf(ctx, rights.Requester{}, app.ID); err != nil {
		return nil, err
	}
	switch app.Status {
	case onboarding.StatusInterviewPlanned:
		iv, err := h.Onboarding.Interview(ctx, app.ID)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return nil, err
		}
		sp.Interview = iv
	case onboarding.StatusInfoRequested:
		sp.InfoMessage = onboarding.LastDetail(events, string(onboarding.StatusInfoRequested))
		if sp.Reopened, err = h.Onboarding.ReopenedSteps(ctx, app.ID); err != nil {
			return nil, err
		}
	}
	if err := h.statusNextSteps(ctx, app, sp); err != nil {
		return nil, err
	}
	return sp, nil
}

// askAnotherTime lets the association say it cannot make the planned
// interview: the host's contact and staff are told by e-mail.
func (h *Handler) askAnotherTime(c *gin.Context) {
	app, err := h.currentApp(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var r onboarding.Reschedule
	if err := c.ShouldBindWith(&r, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	refuse := func(status int, fe onboarding.FieldErrors, formError string) {
		sp, err := h.statusData(ctx, app)
		if err != nil {
			h.fail(c, err)
			return
		}
		sp.Reschedule = r
		p := h.page(c, "status.title", sp)
		p.Path = "/suivi"
		p.Errors, p.FormError = fe, formError
		h.render(c, status, "status", p)
	}
	if fe := r.Validate(); len(fe) > 0 {
		refuse(http.StatusBadRequest, fe, "")
		return
	}
	ok, err := h.allow(c, "reschedule", h.opts.MailsPerHour)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !ok {
		refuse(http.StatusTooManyRequests, nil, "err.rate_limited")
		return
	}
	tell := h.tellStaff(ctx, app, accounts.KindReschedule, true, func(n *accounts.Notice) {
		n.Template = "reschedule_requested"
		n.Data = map[string]any{"Message": r.Message, "RequestURL": n.Link}
	})
	if err := h.Onboarding.AskAnotherTime(ctx, app, r, tell); err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			h.fail(c, err)
			return
		}
		refuse(statusOf(apperr.CodeOf(err)), nil, apperr.KeyOf(err))
		return
	}
	h.Postman.Wake()
	redirect(c, "/suivi", "reschedule_requested")
}
