package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/onboarding"
)

// QueuePage is the data of the review queue.
type QueuePage struct {
	Query    onboarding.QueueQuery
	Rows     []QueueRow
	Hosts    []onboarding.Host // the host filter, for administrators
	Statuses []onboarding.Status
	Services []string
	// CanDecide shows the links to what only staff and administrators do.
	CanDecide bool
	// Counts link to the queue filtered on each status.
	CountLinks []CountLink
}

// CountLink is a status's count, linking to its requests.
type CountLink struct {
	Status  onboarding.Status
	Count   int
	URL     string
	Current bool
}

// QueueRow is one request of the queue.
type QueueRow struct {
	onboarding.QueueItem
	Days int // since the request was sent
}

// requestQueue lists the requests of the user's host (an administrator's:
// every host, or the one chosen), filtered by a GET form that needs no
// script.
func (h *Handler) requestQueue(c *gin.Context) {
	u := userOf(c)
	ctx := c.Request.Context()
	var q onboarding.QueueQuery
	if err := c.ShouldBindWith(&q, binding.Query); err != nil {
		h.renderError(c, http.StatusBadRequest, "error.invalid")
		return
	}
	var hosts []onboarding.Host
	if u.Admin() {
		var err error
		if hosts, err = h.Onboarding.QueueHosts(ctx); err != nil {
			h.fail(c, err)
			return
		}
	} else {
		if u.HostID == "" {
			h.notFound(c)
			return
		}
		q.Host = u.HostID
	}
	f, fe := q.Filter()
	items, err := h.Onboarding.Queue(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	counts, err := h.Onboarding.QueueCounts(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.Now()
	qp := &QueuePage{Query: q, Hosts: hosts, Statuses: onboarding.QueueStatuses, Services: onboarding.Services, CanDecide: canDecide(u)}
	for _, it := range items {
		qp.Rows = append(qp.Rows, QueueRow{QueueItem: it, Days: int(now.Sub(it.SubmittedAt) / (24 * time.Hour))})
	}
	cq := url.Values{}
	if u.Admin() && q.Host != "" {
		cq.Set("host", q.Host)
	}
	if q.OlderThan != "" {
		cq.Set("older_than", q.OlderThan)
	}
	for _, s := range f.Services {
		cq.Add("filter_services", s)
	}
	for _, sc := range counts {
		v := url.Values{}
		for k, vs := range cq {
			v[k] = vs
		}
		v.Set("filter_status", string(sc.Status))
		qp.CountLinks = append(qp.CountLinks, CountLink{Status: sc.Status, Count: sc.Count,
			URL: "/staff/requests?" + v.Encode(), Current: sc.Status == f.Status})
	}
	p := h.page(c, "req.queue.title", qp)
	p.Errors = fe
	status := http.StatusOK
	if len(fe) > 0 {
		status = http.StatusBadRequest
	}
	h.render(c, status, "requests_queue", p)
}
