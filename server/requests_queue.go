package server

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/apperr"
	"archipel/onboarding"
	"archipel/templates"
)

// QueuePage is the data of the review queue.
type QueuePage struct {
	Query    onboarding.QueueQuery
	Rows     []QueueRow
	Hosts    []onboarding.Host // the host filter, for administrators
	Statuses []onboarding.Status
	Services []string
	Sorts    []string
	// CanDecide shows the links to what only staff and administrators do.
	CanDecide bool
	// Counts link to the queue filtered on each status.
	CountLinks []CountLink
	// Total is how many requests match; the page shows Page of Pages.
	Total, Page, Pages int
	// Links to the pages around this one and to the CSV of the whole list,
	// keeping the filters.
	PrevURL, NextURL, CSVURL string
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
	Days int // calendar days in Paris since the request was sent
}

// daysSince counts calendar days in Paris between t and now: a request sent
// yesterday evening is one day old this morning.
func daysSince(now, t time.Time) int {
	y1, m1, d1 := t.In(templates.Paris).Date()
	y2, m2, d2 := now.In(templates.Paris).Date()
	a := time.Date(y1, m1, d1, 12, 0, 0, 0, time.UTC)
	b := time.Date(y2, m2, d2, 12, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Round(24*time.Hour) / (24 * time.Hour))
}

// queueQuery reads the queue's form from the URL. Which hosts an account
// sees is the store's rule (onboarding.Store.Queue scopes by the acting
// account): a staff account's host filter is its own whatever it asks.
func (h *Handler) queueQuery(c *gin.Context) (onboarding.QueueQuery, bool) {
	var q onboarding.QueueQuery
	if err := c.ShouldBindWith(&q, binding.Query); err != nil {
		h.renderError(c, http.StatusBadRequest, "error.invalid")
		return q, false
	}
	return q, true
}

// values is the query string of the queue's filters, without the page.
func queueValues(admin bool, q onboarding.QueueQuery, f onboarding.QueueFilter) url.Values {
	v := url.Values{}
	if admin && q.Host != "" {
		v.Set("host", q.Host)
	}
	if f.Status != "" {
		v.Set("filter_status", string(f.Status))
	}
	if f.OlderThan > 0 {
		v.Set("older_than", strconv.Itoa(f.OlderThan))
	}
	for _, s := range f.Services {
		v.Add("filter_services", s)
	}
	if f.Search != "" {
		v.Set("q", f.Search)
	}
	if f.Mine {
		v.Set("mine", "1")
	}
	if f.Sort != "" {
		v.Set("sort", f.Sort)
	}
	return v
}

// requestQueue lists the requests of the user's host (an administrator's:
// every host, or the one chosen), searched, filtered, sorted and paged by a
// GET form that needs no script.
func (h *Handler) requestQueue(c *gin.Context) {
	u := userOf(c)
	ctx := c.Request.Context()
	q, ok := h.queueQuery(c)
	if !ok {
		return
	}
	var hosts []onboarding.Host
	if u.Admin() {
		var err error
		if hosts, err = h.Onboarding.QueueHosts(ctx); err != nil {
			h.fail(c, err)
			return
		}
	}
	f, fe := q.Filter()
	res, err := h.Onboarding.Queue(ctx, u, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	counts, err := h.Onboarding.QueueCounts(ctx, u, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.Now()
	qp := &QueuePage{Query: q, Hosts: hosts, Statuses: onboarding.QueueStatuses, Services: onboarding.Services,
		Sorts: onboarding.QueueSorts, CanDecide: canDecide(u), Total: res.Total, Page: res.Page, Pages: res.Pages}
	for _, it := range res.Items {
		qp.Rows = append(qp.Rows, QueueRow{QueueItem: it, Days: daysSince(now, it.SubmittedAt)})
	}
	base := queueValues(u.Admin(), q, f)
	pageURL := func(n int) string {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/staff/requests#results"
		}
		return "/staff/requests?" + v.Encode() + "#results"
	}
	if res.Page > 1 {
		qp.PrevURL = pageURL(res.Page - 1)
	}
	if res.Page < res.Pages {
		qp.NextURL = pageURL(res.Page + 1)
	}
	qp.CSVURL = "/staff/requests.csv"
	if len(base) > 0 {
		qp.CSVURL += "?" + base.Encode()
	}
	for _, sc := range counts {
		v := url.Values{}
		for k, vs := range base {
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

// requestQueueCSV exports the filtered queue (every page) as CSV, in the
// reader's language, each text cell kept from being read as a formula.
func (h *Handler) requestQueueCSV(c *gin.Context) {
	u := userOf(c)
	q, ok := h.queueQuery(c)
	if !ok {
		return
	}
	f, fe := q.Filter()
	if len(fe) > 0 {
		h.renderError(c, http.StatusBadRequest, "error.invalid")
		return
	}
	items, err := h.Onboarding.QueueExport(c.Request.Context(), u, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	lang := langOf(c)
	t := func(id string) string { return h.Templates.MustT(lang, id) }
	header := []string{t("req.queue.association"), t("label.legal_id"), t("label.town"), t("label.postcode"),
		t("label.contact_name"), t("label.contact_email"), t("label.contact_phone"), t("req.queue.status"),
		t("req.queue.host"), t("req.queue.sent"), t("req.queue.assignee"), t("label.services")}
	var buf bytes.Buffer
	buf.WriteString(publicBOM)
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	for _, it := range items {
		a := it.Answers
		var services []string
		for _, s := range a.Needs.Services {
			services = append(services, t("opt.services."+s))
		}
		sent := ""
		if !it.SubmittedAt.IsZero() {
			sent = it.SubmittedAt.In(templates.Paris).Format("2006-01-02 15:04")
		}
		row := []string{a.Association.Name, a.Association.LegalID, a.Association.Town, a.Association.Postcode,
			a.Members.ContactName, a.Association.ContactEmail, a.Members.ContactPhone, t("status." + string(it.Tab)),
			it.HostName, sent, it.AssigneeName, strings.Join(services, ", ")}
		for i := range row {
			row[i] = publicCSVCell(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		h.fail(c, err)
		return
	}
	name := "archipel-" + t("req.queue.filename") + "-" + h.Now().In(templates.Paris).Format("2006-01-02") + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// requestAssign gives the request to a staff member ("me" for oneself, an
// empty value for nobody); the store checks who may assign and to whom.
func (h *Handler) requestAssign(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	u := userOf(c)
	assignee := c.PostForm("assignee")
	if assignee == "me" {
		assignee = u.ID
	}
	if err := h.Onboarding.Assign(c.Request.Context(), u, app, assignee); err != nil {
		if key := apperr.KeyOf(err); key == "err.assignee" {
			h.refuseOnRequest(c, app, http.StatusBadRequest, "", onboarding.FieldErrors{{Field: "assignee", Key: key}}, nil)
			return
		}
		h.fail(c, err)
		return
	}
	notice := "followed"
	if assignee == "" {
		notice = "unfollowed"
	}
	redirect(c, "/staff/requests/"+app.ID, notice)
}
