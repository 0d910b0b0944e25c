package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/training"
)

// CaseReportPage is the data of the funders' report form.
type CaseReportPage struct {
	Hosts []training.Host // for an administrator: every host may be chosen, or all
	Form  training.ReportForm
}

// reportHeader are the message IDs of the CSV's columns, in order.
var reportHeader = []string{"report.col.host", "report.col.from", "report.col.to", "report.col.associations", "report.col.sessions",
	"report.col.hours", "report.col.attendees", "report.col.topics", "report.col.answers", "report.col.rating"}

func (h *Handler) reportPage(c *gin.Context, form training.ReportForm) (*CaseReportPage, bool) {
	rp := &CaseReportPage{Form: form}
	if u := userOf(c); u.Admin() {
		hosts, err := h.Training.Hosts(c.Request.Context())
		if err != nil {
			h.fail(c, err)
			return nil, false
		}
		rp.Hosts = hosts
	}
	return rp, true
}

func (h *Handler) caseReport(c *gin.Context) {
	if !h.staffOfHost(c) {
		return
	}
	if rp, ok := h.reportPage(c, training.DefaultReportForm(h.Training.Now())); ok {
		h.render(c, http.StatusOK, "cases_report", h.casePage(c, "cases.report.title", rp))
	}
}

// caseReportCSV downloads the report: a host's staff get their host's row,
// administrators every host's (or the one they chose).
func (h *Handler) caseReportCSV(c *gin.Context) {
	if !h.staffOfHost(c) {
		return
	}
	u := userOf(c)
	lang := langOf(c)
	var form training.ReportForm
	if err := c.ShouldBindWith(&form, binding.Query); err != nil {
		h.fail(c, err)
		return
	}
	period, fe := form.Validate()
	hostID := training.HostScope(u, form.Host)
	rp, ok := h.reportPage(c, form)
	if !ok {
		return
	}
	if u.Admin() && hostID != "" && !hasHost(rp.Hosts, hostID) {
		fe = append(fe, onboarding.FieldError{Field: "report_host", Key: "err.choice"})
	}
	if len(fe) > 0 {
		p := h.casePage(c, "cases.report.title", rp)
		p.Errors = fe
		h.render(c, http.StatusBadRequest, "cases_report", p)
		return
	}
	rows, err := h.Training.Report(c.Request.Context(), u, hostID, period)
	if err != nil {
		h.fail(c, err)
		return
	}
	labels := map[string]string{}
	for _, r := range rows {
		_, l, err := h.topicOptions(c.Request.Context(), u, lang, r.HostID)
		if err != nil {
			h.fail(c, err)
			return
		}
		for k, v := range l {
			labels[k] = v
		}
	}
	header := make([]string, len(reportHeader))
	for i, id := range reportHeader {
		header[i] = h.Templates.MustT(lang, id)
	}
	opts := training.CSVOptions{Comma: ',', Decimal: ".", Header: header, From: form.From, To: form.To,
		TopicLabel: func(k string) string {
			if l, ok := labels[k]; ok {
				return l
			}
			return k
		}}
	if lang == "fr" {
		// French spreadsheets split on semicolons and write decimal commas.
		opts.Comma, opts.Decimal = ';', ","
	}
	var b strings.Builder
	if err := training.WriteReportCSV(&b, rows, opts); err != nil {
		h.fail(c, err)
		return
	}
	h.caseAudit(c, accounts.ActionReportDownload, hostID, "", form.From+" – "+form.To)
	name := "archipel-" + h.Templates.MustT(lang, "report.filename") + "-" + form.From + "-" + form.To + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}
