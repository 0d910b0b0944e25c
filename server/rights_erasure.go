package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/apperr"
	"archipel/onboarding"
	"archipel/rights"
)

// ErasurePage is the page where the association asks for erasure, or where
// staff confirm it.
type ErasurePage struct {
	State   *rights.ErasureState
	Name    string // the association's name, while it is still known
	AppID   string
	Choices []string
	Choice  string
	Now     time.Time // for the overdue mark
	Reason  string    // a refusal's reason, as typed
}

func nextcloudChoices() []string {
	out := make([]string, len(rights.NextcloudChoices))
	for i, c := range rights.NextcloudChoices {
		out[i] = string(c)
	}
	return out
}

// erasureAskPage explains what erasure does and lets the association ask.
func (h *Handler) erasureAskPage(c *gin.Context) {
	app, err := h.currentApp(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	st, err := h.Rights.ErasureStateOf(c.Request.Context(), rights.Requester{}, app.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "erasure_ask", h.page(c, "rights.erasure.title", &ErasurePage{
		State: st, Name: app.Answers.Association.Name, AppID: app.ID, Choices: nextcloudChoices(), Choice: string(rights.NextcloudKeep)}))
}

// erasureAsk records the association's request for erasure: a draft goes at
// once, anything else waits for its host's staff.
func (h *Handler) erasureAsk(c *gin.Context) {
	app, err := h.currentApp(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	wish := rights.NextcloudChoice(c.PostForm("erasure_nextcloud"))
	if wish == "" {
		wish = rights.NextcloudKeep
	}
	_, done, err := h.Rights.AskErasure(c.Request.Context(), app.ID, wish)
	if err != nil {
		h.fail(c, err)
		return
	}
	if done {
		h.setCookie(c, appCookie, "", -1)
		redirect(c, "/", "erased")
		return
	}
	redirect(c, "/suivi/effacer", "erasure_requested")
}

// erasureConfirmPage shows staff what erasing the request does, with the
// association's wish for its workspace preselected.
func (h *Handler) erasureConfirmPage(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	h.renderErasureConfirm(c, app.ID, app.Answers.Association.Name, http.StatusOK, "", "")
}

func (h *Handler) renderErasureConfirm(c *gin.Context, id, name string, status int, choice, formError string) {
	h.renderErasurePage(c, id, name, status, choice, formError, nil, "")
}

// renderErasurePage shows the confirmation page, with the refusal form's
// errors and its reason as typed.
func (h *Handler) renderErasurePage(c *gin.Context, id, name string, status int, choice, formError string, fe onboarding.FieldErrors, reason string) {
	st, err := h.Rights.ErasureStateOf(c.Request.Context(), rights.Requester{Staff: userOf(c)}, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if choice == "" {
		choice = string(rights.NextcloudKeep)
		if st.Pending != nil && st.Pending.Nextcloud != "" {
			choice = string(st.Pending.Nextcloud)
		}
	}
	p := h.page(c, "rights.erasure.confirm_title", &ErasurePage{State: st, Name: name, AppID: id, Choices: nextcloudChoices(), Choice: choice,
		Now: h.Now(), Reason: reason})
	p.FormError, p.Errors = formError, fe
	h.render(c, status, "erasure_confirm", p)
}

// erasureConfirm erases the request. Disabling the workspace comes first:
// if the host cannot be reached, nothing is erased and staff see why (they
// may retry, or keep the workspace as it is). Deleting it is a clean-up job
// enqueued with the erasure, run by the provisioning engine, shown and
// retried on the request's page like provisioning.
func (h *Handler) erasureConfirm(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	ctx := c.Request.Context()
	choice, ok := rights.ParseNextcloudChoice(c.PostForm("erasure_nextcloud"))
	if !ok {
		h.renderErasureConfirm(c, app.ID, app.Answers.Association.Name, http.StatusBadRequest, "", "rights.err.choice")
		return
	}
	st, err := h.Rights.ErasureStateOf(ctx, rights.Requester{Staff: userOf(c)}, app.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if choice == rights.NextcloudDisable && st.Workspace && !st.WorkspaceDisabled {
		if _, err := h.Engine.DisableWorkspace(ctx, userOf(c), app.ID); err != nil && !errors.Is(err, apperr.ErrConflict) {
			if apperr.CodeOf(err) == apperr.Internal {
				h.fail(c, err)
				return
			}
			h.renderErasureConfirm(c, app.ID, app.Answers.Association.Name, statusOf(apperr.CodeOf(err)), string(choice), apperr.KeyOf(err))
			return
		}
	}
	erased, err := h.Rights.ConfirmErasureWith(ctx, userOf(c), app.ID, choice, h.Engine.EnqueueCleanup)
	if err != nil {
		if code := apperr.CodeOf(err); code == apperr.Conflict || code == apperr.Invalid {
			h.renderErasureConfirm(c, app.ID, app.Answers.Association.Name, statusOf(code), string(choice), apperr.KeyOf(err))
			return
		}
		h.fail(c, err)
		return
	}
	h.Postman.Wake() // the notice of the erasure
	if erased.CleanupJob != "" {
		// The clean-up runs in the background: its page shows its progress.
		h.Engine.Wake()
		redirect(c, "/staff/requests/"+app.ID, "erased")
		return
	}
	redirect(c, "/staff/requests", "erased")
}

// erasureRefuse refuses the association's erasure request with a reason,
// e-mailed to it: the register line, the timeline, the audit line and the
// e-mail commit together (rights.Store.RefuseErasure). A missing reason
// brings the page back with what was typed.
func (h *Handler) erasureRefuse(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	typed := c.PostForm("refusal_reason")
	f := rights.Refusal{Reason: typed}
	if fe := f.Validate(); len(fe) > 0 {
		h.renderErasurePage(c, app.ID, app.Answers.Association.Name, http.StatusBadRequest, "", "", fe, typed)
		return
	}
	if _, err := h.Rights.RefuseErasure(c.Request.Context(), userOf(c), app.ID, f); err != nil {
		if code := apperr.CodeOf(err); code == apperr.Conflict || code == apperr.Invalid {
			h.renderErasurePage(c, app.ID, app.Answers.Association.Name, statusOf(code), "", apperr.KeyOf(err), nil, typed)
			return
		}
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/requests/"+app.ID, "erasure_refused")
}
