package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/onboarding"
)

// canDecide reports whether a user may act on requests (a domain rule).
func canDecide(u *accounts.User) bool { return onboarding.MayDecide(u) }

// requestFor loads the request named in the path as the signed-in user may
// see it, or answers "not found" and returns nil: the domain scopes the
// query to the user's host and leaves drafts out; when decide is set, a
// user who may not decide gets the same answer. Posts get the same answer
// as pages, so that nothing tells whether another host's request exists.
func (h *Handler) requestFor(c *gin.Context, decide bool) *onboarding.Application {
	return h.lookUpRequest(c, decide, false)
}

// requestOrErasedFor is requestFor that also finds an erased request: for
// following the clean-up of its workspace (retry, cancel), the one thing
// still done on it.
func (h *Handler) requestOrErasedFor(c *gin.Context) *onboarding.Application {
	return h.lookUpRequest(c, true, true)
}

func (h *Handler) lookUpRequest(c *gin.Context, decide, erased bool) *onboarding.Application {
	u := userOf(c)
	if decide && !onboarding.MayDecide(u) {
		h.notFound(c)
		return nil
	}
	app, err := h.Onboarding.ForStaff(c.Request.Context(), u, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return nil
	}
	if app.Erased() && !erased {
		// Nothing is added to an erased request (no note, no decision):
		// its page shows only the record of the erasure.
		h.notFound(c)
		return nil
	}
	return app
}

// versionSeen reports whether a form was posted from the request as it is
// now: each decision form carries the version its author saw.
func versionSeen(c *gin.Context, app *onboarding.Application) bool {
	v, err := strconv.Atoi(c.PostForm("version"))
	return err == nil && v == app.Version
}

// conflictKey says why a decision cannot be taken on a request as it is
// now: decided already (a double click, or a colleague was quicker),
// withdrawn, waiting for the association, or changed since the form was
// shown.
func conflictKey(app *onboarding.Application) string {
	switch app.Status {
	case onboarding.StatusApproved, onboarding.StatusProvisioning, onboarding.StatusReady, onboarding.StatusDeclined:
		return "err.review.already_decided"
	case onboarding.StatusWithdrawn:
		return "err.review.withdrawn"
	case onboarding.StatusInfoRequested:
		return "err.review.awaiting_info"
	}
	return "err.review.stale"
}

// decisionRefused checks, before a decision moving app to status to, that
// the request may move there and that the form was posted from its current
// version; it returns the message ID of the reason when not.
func decisionRefused(c *gin.Context, app *onboarding.Application, to onboarding.Status) string {
	if !onboarding.CanMove(app.Status, to) {
		return conflictKey(app)
	}
	if !versionSeen(c, app) {
		return "err.review.stale"
	}
	return ""
}

// conflictAfter returns the message ID explaining a conflict the domain
// reported for app: the request is read again to say what happened.
func (h *Handler) conflictAfter(ctx context.Context, app *onboarding.Application) string {
	if now, err := h.Onboarding.Get(ctx, app.ID); err == nil {
		*app = *now
	}
	return conflictKey(app)
}

// hasMessage reports whether a message ID exists: timeline and audit
// entries written by other parts of Archipel are shown by their code when
// no label exists.
func (h *Handler) hasMessage(lang, id string) bool {
	_, err := h.Templates.T(lang, id)
	return err == nil
}

// refusal is the HTTP status of a refused form: a conflict for a request
// that changed, a bad request otherwise.
func refusal(key string) int {
	switch key {
	case "err.review.already_decided", "err.review.stale", "err.review.withdrawn", "err.review.awaiting_info",
		"err.review.no_host", "err.interview.none":
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// actorOf is how a staff member appears in a request's timeline.
func actorOf(c *gin.Context) string {
	if u := userOf(c); u != nil {
		return u.Email
	}
	return ""
}
