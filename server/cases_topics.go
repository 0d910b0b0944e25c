package server

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/training"
)

// CaseTopicsPage is the data of a host's catalogue of training topics.
type CaseTopicsPage struct {
	Hosts  []training.Host // for an administrator, the hosts to pick from
	HostID string
	Topics []TopicOption
	Form   training.TopicForm
}

// topicsHost is the host whose catalogue the page shows: the staff
// member's, or the one an administrator picked (the first by default).
func (h *Handler) topicsHost(c *gin.Context, asked string) (*CaseTopicsPage, bool) {
	u := userOf(c)
	tp := &CaseTopicsPage{HostID: training.HostScope(u, asked)}
	if u.Admin() {
		hosts, err := h.Training.Hosts(c.Request.Context())
		if err != nil {
			h.fail(c, err)
			return nil, false
		}
		tp.Hosts = hosts
		if tp.HostID == "" && len(hosts) > 0 {
			tp.HostID = hosts[0].ID
		}
		if !hasHost(hosts, tp.HostID) {
			h.notFound(c)
			return nil, false
		}
	}
	opts, _, err := h.topicOptions(c.Request.Context(), u, langOf(c), tp.HostID)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	tp.Topics = opts
	return tp, true
}

func (h *Handler) caseTopics(c *gin.Context) {
	if !h.staffOfHost(c) {
		return
	}
	if tp, ok := h.topicsHost(c, c.Query("host")); ok {
		h.render(c, http.StatusOK, "cases_topics", h.casePage(c, "cases.topics.title", tp))
	}
}

func (h *Handler) caseTopicAdd(c *gin.Context) {
	if !h.staffOfHost(c) {
		return
	}
	tp, ok := h.topicsHost(c, c.PostForm("host"))
	if !ok {
		return
	}
	if err := c.ShouldBindWith(&tp.Form, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	existing, err := h.Training.Topics(c.Request.Context(), userOf(c), tp.HostID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if fe := tp.Form.Validate(existing); len(fe) > 0 {
		p := h.casePage(c, "cases.topics.title", tp)
		p.Errors = fe
		h.render(c, http.StatusBadRequest, "cases_topics", p)
		return
	}
	// The audit line commits with the topic.
	ctx, u := c.Request.Context(), userOf(c)
	_, err = h.Training.AddTopic(ctx, u, tp.HostID, tp.Form, func(t training.Topic) database.Then {
		return h.Accounts.RecordIn(ctx, u, accounts.ActionTopicAdd, tp.HostID, "", t.Key+" "+t.LabelFR)
	})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			p := h.casePage(c, "cases.topics.title", tp)
			p.FormError = apperr.KeyOf(err)
			h.render(c, http.StatusBadRequest, "cases_topics", p)
			return
		}
		h.fail(c, err)
		return
	}
	caseRedirect(c, "/staff/cases/topics?host="+url.QueryEscape(tp.HostID), "topic_added")
}
