package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning"
)

// PlanForm is the approval's plan as staff adjust it, kept as typed.
type PlanForm struct {
	QuotaGB string `form:"quota_gb"`
	// AccountQuotaGB is each account's own quota (the shared folder has QuotaGB).
	AccountQuotaGB string   `form:"plan_account_quota_gb"`
	Accounts       string   `form:"plan_accounts"`
	Folders        string   `form:"plan_folders"` // one folder per line
	Services       []string `form:"plan_services"`
}

// planFormOf shows plan options in the form.
func planFormOf(o provisioning.PlanOptions) PlanForm {
	return PlanForm{QuotaGB: strconv.Itoa(o.QuotaGB), AccountQuotaGB: strconv.Itoa(o.AccountQuotaGB), Accounts: strconv.Itoa(o.Accounts),
		Folders: strings.Join(o.Folders, "\n"), Services: o.Services}
}

// options reads the plan options: a field that is not a number gets its
// error here; what the numbers and names may be is provisioning's rule
// (PlanOptions.Problems), its errors shown on the fields not already wrong.
func (f *PlanForm) options(offered []string) (provisioning.PlanOptions, onboarding.FieldErrors) {
	var fe onboarding.FieldErrors
	number := func(field, v string) int {
		v = strings.TrimSpace(v)
		if v == "" {
			fe = append(fe, onboarding.FieldError{Field: field, Key: "err." + field + ".required"})
			return 0
		}
		n, err := strconv.Atoi(strings.ReplaceAll(v, " ", ""))
		if err != nil {
			fe = append(fe, onboarding.FieldError{Field: field, Key: "err.number"})
			return 0
		}
		return n
	}
	o := provisioning.PlanOptions{QuotaGB: number("quota_gb", f.QuotaGB), Accounts: number("plan_accounts", f.Accounts)}
	if strings.TrimSpace(f.AccountQuotaGB) != "" {
		o.AccountQuotaGB = number("plan_account_quota_gb", f.AccountQuotaGB)
	}
	for _, line := range strings.Split(f.Folders, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			o.Folders = append(o.Folders, line)
		}
	}
	o.Services = f.Services
	if offered == nil {
		offered = []string{} // the host offers no service
	}
	for _, p := range o.Problems(offered) {
		if fe.For(p.Field) == "" {
			fe = append(fe, p)
		}
	}
	return o, fe
}

// ApprovePage is the data of the approval page.
type ApprovePage struct {
	App      *onboarding.Application
	Host     *provisioning.Host
	Form     PlanForm
	Services []string // the services the host offers
	// Unserved are the services the association asked for that the host
	// does not offer; Offer says when the host was read.
	Unserved []string
	Offer    provisioning.Offer
	Version  int
	// Typed is set when a refused form is shown again: what was typed
	// stays on the page even when the request can no longer be approved.
	Typed bool
}

// CanApprove reports whether the request may be approved now.
func (p *ApprovePage) CanApprove() bool {
	return p.Host != nil && onboarding.CanMove(p.App.Status, onboarding.StatusApproved)
}

// approveData builds the approval page; form is what was typed, or nil
// for the host's defaults raised to what the association asked.
func (h *Handler) approveData(c *gin.Context, app *onboarding.Application, form *PlanForm) (Page, error) {
	ap := &ApprovePage{App: app, Version: app.Version}
	if app.HostID != "" {
		host, err := h.Hosts.Get(c.Request.Context(), app.HostID)
		if err != nil {
			return Page{}, err
		}
		ap.Host = host
		if ap.Offer, err = h.Hosts.OfferFor(c.Request.Context(), host.ID); err != nil {
			return Page{}, err
		}
		ap.Services, ap.Unserved = ap.Offer.Services(), ap.Offer.Unserved(app.Answers.Needs.Services)
		o := provisioning.DefaultPlanOptions(app, host)
		o.Services = provisioning.DefaultServices(app.Answers.Needs.Services, ap.Offer)
		ap.Form = planFormOf(o)
	}
	if form != nil {
		ap.Form, ap.Typed = *form, true
	}
	p := h.page(c, "req.approve.title", ap)
	if ap.Host == nil {
		p.FormError = "err.review.no_host"
	} else if !onboarding.CanMove(app.Status, onboarding.StatusApproved) {
		p.FormError = conflictKey(app)
	}
	return p, nil
}

func (h *Handler) approvePage(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	p, err := h.approveData(c, app, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "requests_approve", p)
}

func (h *Handler) refuseApprove(c *gin.Context, app *onboarding.Application, status int, form *PlanForm, fe onboarding.FieldErrors, formError string) {
	p, err := h.approveData(c, app, form)
	if err != nil {
		h.fail(c, err)
		return
	}
	p.Errors = fe
	if formError != "" {
		p.FormError = formError
	}
	h.render(c, status, "requests_approve", p)
}

// approve decides the request and queues its workspace, in one
// transaction: of a double click or two staff at once, one decision and one
// job are kept; the other is told the request was decided already.
func (h *Handler) approve(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	ctx := c.Request.Context()
	var f PlanForm
	if err := c.ShouldBindWith(&f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	if app.HostID == "" {
		h.refuseApprove(c, app, http.StatusConflict, &f, nil, "err.review.no_host")
		return
	}
	offer, err := h.Hosts.OfferFor(ctx, app.HostID)
	if err != nil {
		h.fail(c, err)
		return
	}
	opts, fe := f.options(offer.Services())
	if key := decisionRefused(c, app, onboarding.StatusApproved); key != "" {
		h.refuseApprove(c, app, refusal(key), &f, fe, key)
		return
	}
	if len(fe) > 0 {
		h.refuseApprove(c, app, http.StatusBadRequest, &f, fe, "")
		return
	}
	host, err := h.Hosts.Get(ctx, app.HostID)
	if err != nil {
		h.fail(c, err)
		return
	}
	// The audit line and the association's e-mail commit with the decision.
	_, err = h.Engine.Approve(ctx, app, host, opts, userOf(c),
		func(jobID string) database.Then {
			return h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionApproved, app.HostID, app.ID,
				fmt.Sprintf("job %s, %d GB, %d accounts", jobID, opts.QuotaGB, opts.Accounts))
		},
		func(string) database.Then {
			return h.queueLetters(ctx, func() mail.Letter {
				return h.associationLetter(app, "approved", map[string]any{"Host": host.Name})
			})
		})
	switch {
	case errors.Is(err, apperr.ErrConflict):
		key := h.conflictAfter(ctx, app)
		h.refuseApprove(c, app, refusal(key), &f, nil, key)
		return
	case apperr.CodeOf(err) == apperr.Invalid:
		h.refuseApprove(c, app, http.StatusBadRequest, &f, nil, apperr.KeyOf(err))
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/requests/"+app.ID, "approved")
}

// DeclinePage is the data of the decline page.
type DeclinePage struct {
	App       *onboarding.Application
	Templates []DeclineChoice
	Form      onboarding.Decline
	Version   int
	Typed     bool // a refused form shown again
}

// DeclineChoice is a ready-made reason staff may start from: one of the
// host's templates in the association's language, or a built-in one.
type DeclineChoice struct {
	ID      string
	Name    string // the host's template name
	NameKey string // message ID of a built-in template's name
}

// builtinDeclines are the reasons every host may start from, written in
// the message files (name and body).
var builtinDeclines = []string{"capacity", "area", "services"}

// CanDecline reports whether the request may be declined now.
func (p *DeclinePage) CanDecline() bool {
	return onboarding.CanMove(p.App.Status, onboarding.StatusDeclined)
}

// declineData builds the decline page; the chosen template's text, in the
// association's language, fills the reason unless one was typed.
func (h *Handler) declineData(c *gin.Context, app *onboarding.Application, form *onboarding.Decline) (Page, error) {
	ctx := c.Request.Context()
	dp := &DeclinePage{App: app, Version: app.Version}
	var own []onboarding.DeclineTemplate
	if app.HostID != "" {
		var err error
		if own, err = h.Onboarding.DeclineTemplates(ctx, app.HostID, app.Language); err != nil {
			return Page{}, err
		}
	}
	for _, t := range own {
		dp.Templates = append(dp.Templates, DeclineChoice{ID: t.ID, Name: t.Name})
	}
	for _, b := range builtinDeclines {
		dp.Templates = append(dp.Templates, DeclineChoice{ID: "builtin-" + b, NameKey: "req.decline.builtin." + b + ".name"})
	}
	if form != nil {
		dp.Form, dp.Typed = *form, true
	} else if id := c.Query("template"); id != "" {
		dp.Form.Template = id
		if b, ok := strings.CutPrefix(id, "builtin-"); ok && slices.Contains(builtinDeclines, b) {
			dp.Form.Reason = h.Templates.MustT(app.Language, "req.decline.builtin."+b+".body",
				"Name", app.Answers.Association.Name)
		}
		for _, t := range own {
			if t.ID == id {
				dp.Form.Reason = t.Body
			}
		}
	}
	p := h.page(c, "req.decline.title", dp)
	if !onboarding.CanMove(app.Status, onboarding.StatusDeclined) {
		p.FormError = conflictKey(app)
	}
	return p, nil
}

func (h *Handler) declinePage(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	p, err := h.declineData(c, app, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "requests_decline", p)
}

func (h *Handler) refuseDecline(c *gin.Context, app *onboarding.Application, status int, form *onboarding.Decline, fe onboarding.FieldErrors, formError string) {
	p, err := h.declineData(c, app, form)
	if err != nil {
		h.fail(c, err)
		return
	}
	p.Errors = fe
	if formError != "" {
		p.FormError = formError
	}
	h.render(c, status, "requests_decline", p)
}

// decline ends the request with a reason, e-mailed to the association in
// its language.
func (h *Handler) decline(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	ctx := c.Request.Context()
	var f onboarding.Decline
	if err := c.ShouldBindWith(&f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	fe := f.Validate()
	if key := decisionRefused(c, app, onboarding.StatusDeclined); key != "" {
		h.refuseDecline(c, app, refusal(key), &f, fe, key)
		return
	}
	if len(fe) > 0 {
		h.refuseDecline(c, app, http.StatusBadRequest, &f, fe, "")
		return
	}
	// The audit line and the association's e-mail commit with the decision.
	err := h.Onboarding.DeclineRequest(ctx, app, f, userOf(c),
		h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionDeclined, app.HostID, app.ID, f.Template),
		h.queueLetters(ctx, func() mail.Letter {
			return h.associationLetter(app, "declined", map[string]any{"Reason": f.Reason})
		}))
	if errors.Is(err, apperr.ErrConflict) {
		key := h.conflictAfter(ctx, app)
		h.refuseDecline(c, app, refusal(key), &f, nil, key)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/requests/"+app.ID, "declined")
}

// InfoPage is the data of the page asking the association for more.
type InfoPage struct {
	App     *onboarding.Application
	Form    onboarding.InfoRequest
	Steps   []onboarding.Step
	Version int
	Typed   bool // a refused form shown again
}

// CanAsk reports whether the association may be asked for more now.
func (p *InfoPage) CanAsk() bool {
	return onboarding.CanMove(p.App.Status, onboarding.StatusInfoRequested)
}

func (h *Handler) infoData(c *gin.Context, app *onboarding.Application, form *onboarding.InfoRequest) Page {
	ip := &InfoPage{App: app, Steps: onboarding.ReopenableSteps, Version: app.Version}
	if form != nil {
		ip.Form, ip.Typed = *form, true
	}
	p := h.page(c, "req.info.title", ip)
	if !onboarding.CanMove(app.Status, onboarding.StatusInfoRequested) {
		p.FormError = conflictKey(app)
	}
	return p
}

func (h *Handler) infoPage(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	h.render(c, http.StatusOK, "requests_info", h.infoData(c, app, nil))
}

func (h *Handler) refuseInfo(c *gin.Context, app *onboarding.Application, status int, form *onboarding.InfoRequest, fe onboarding.FieldErrors, formError string) {
	p := h.infoData(c, app, form)
	p.Errors = fe
	if formError != "" {
		p.FormError = formError
	}
	h.render(c, status, "requests_info", p)
}

// requestInfo sends the request back to the association with the steps to
// complete and a message; the e-mail carries a private link.
func (h *Handler) requestInfo(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	ctx := c.Request.Context()
	var f onboarding.InfoRequest
	if err := c.ShouldBindWith(&f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	fe := f.Validate()
	if key := decisionRefused(c, app, onboarding.StatusInfoRequested); key != "" {
		h.refuseInfo(c, app, refusal(key), &f, fe, key)
		return
	}
	if len(fe) > 0 {
		h.refuseInfo(c, app, http.StatusBadRequest, &f, fe, "")
		return
	}
	// The audit line and the association's e-mail commit with the
	// decision; the e-mail's private link opens the host's question with
	// the steps it reopened (see resume).
	err := h.Onboarding.RequestInfo(ctx, app, f, userOf(c),
		h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionInfoRequested, app.HostID, app.ID, strings.Join(f.Steps, ",")),
		h.queueLetters(ctx, func() mail.Letter {
			return h.associationLetter(app, "info_requested", map[string]any{"Message": f.Message, "Steps": f.Steps})
		}))
	if errors.Is(err, apperr.ErrConflict) {
		key := h.conflictAfter(ctx, app)
		h.refuseInfo(c, app, refusal(key), &f, nil, key)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/requests/"+app.ID, "info_requested")
}
