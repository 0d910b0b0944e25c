package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/training"
)

// caseNotices are the notices the accompaniment pages show after a
// redirect (post/redirect/get).
var caseNotices = map[string]bool{"case_moved": true, "trainers_saved": true, "session_saved": true, "case_closed": true,
	"topic_added": true, "advanced": true, "checkin_thanks": true, "checkin_stopped": true, "usage_read": true, "usage_failed": true}

// casePage is h.page with the accompaniment's notices.
func (h *Handler) casePage(c *gin.Context, title string, data any) Page {
	p := h.page(c, title, data)
	if n := c.Query("notice"); caseNotices[n] {
		p.Flash = "notice." + n
	}
	return p
}

// loadCase returns the case named in the path if the signed-in user may see
// it; otherwise it answers "not found" (whether the case exists elsewhere or
// not) and returns nil.
func (h *Handler) loadCase(c *gin.Context) *training.Case {
	cs, err := h.Training.ForStaff(c.Request.Context(), userOf(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return nil
	}
	return cs
}

// staffOfHost lets administrators and a host's staff through (not
// trainers): the catalogue and the funders' report are theirs, as
// training.MayReport says (the domain checks it again).
func (h *Handler) staffOfHost(c *gin.Context) bool {
	if training.MayReport(userOf(c)) {
		return true
	}
	h.notFound(c)
	return false
}

// caseAudit records a staff action on a case (or a host's accompaniment).
func (h *Handler) caseAudit(c *gin.Context, action accounts.Action, hostID, applicationID, detail string) {
	if err := h.Accounts.Record(c.Request.Context(), userOf(c), action, hostID, applicationID, detail); err != nil {
		h.Logger.Error("audit", slog.String("action", string(action)), slog.Any("err", err))
	}
}

// TopicOption is a topic of a host's catalogue with its label in the
// page's language.
type TopicOption struct {
	Key    string
	Label  string
	Custom bool
}

// topicOptions returns a host's catalogue, as actor may read it, with
// labels in lang, and the labels by key.
func (h *Handler) topicOptions(ctx context.Context, actor *accounts.User, lang, hostID string) ([]TopicOption, map[string]string, error) {
	topics, err := h.Training.Topics(ctx, actor, hostID)
	if err != nil {
		return nil, nil, err
	}
	opts := make([]TopicOption, len(topics))
	labels := map[string]string{}
	for i, t := range topics {
		label := t.Label(lang)
		if !t.Custom {
			label = h.Templates.MustT(lang, "topic."+t.Key)
		}
		opts[i] = TopicOption{Key: t.Key, Label: label, Custom: t.Custom}
		labels[t.Key] = label
	}
	return opts, labels, nil
}

// caseFail shows an error of the accompaniment pages, answering "not found"
// for anything hidden from the user.
func (h *Handler) caseFail(c *gin.Context, err error) {
	if errors.Is(err, apperr.ErrForbidden) {
		h.renderError(c, http.StatusNotFound, "error.not_found")
		return
	}
	h.fail(c, err)
}

// caseRedirect is redirect for paths that may carry a query already.
func caseRedirect(c *gin.Context, path, notice string) {
	if notice != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "notice=" + url.QueryEscape(notice)
	}
	c.Redirect(http.StatusSeeOther, path)
}
