package server

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
)

// appCookie holds the private link token in the browser that filled the
// form, so the flow goes on without opening the e-mail first.
const appCookie = "archipel_demande"

// StepPage is the data of a step of the flow.
type StepPage struct {
	Step      onboarding.Step
	StepCount int
	Slug      string
	Form      any
	App       *onboarding.Application
	Hosts     []onboarding.Host
	Return    string // "recapitulatif" when the step was opened from the review
	Duplicate *DuplicateOffer
	Choices   map[string][]string
	// Eligible are the hosts the archipelago may choose, whose terms the
	// review shows with the charter when the association lets it choose.
	Eligible []onboarding.Host
}

// DuplicateOffer is shown when a request already exists for the same
// association or address: it offers to resend the link, revealing nothing.
type DuplicateOffer struct {
	LegalID string
	Email   string
}

var choices = map[string][]string{
	"legal_form":   onboarding.LegalForms,
	"sector":       onboarding.Sectors,
	"tools":        onboarding.Tools,
	"services":     onboarding.Services,
	"when":         onboarding.Timings,
	"contribution": onboarding.Contributions,
	"fee_range":    onboarding.FeeRanges,
	"yesno":        onboarding.YesNo,
}

// currentApp returns the request whose link this browser holds.
func (h *Handler) currentApp(c *gin.Context) (*onboarding.Application, error) {
	token, err := c.Cookie(appCookie)
	if err != nil || token == "" {
		return nil, apperr.New(apperr.NotFound, "err.link.none", "server: current request")
	}
	return h.Onboarding.ByToken(c.Request.Context(), token)
}

// flowApp returns the request this browser is filling in. A request that
// has ended (withdrawn, declined) or is done does not keep the browser from
// starting a new one, as the status page promises.
func (h *Handler) flowApp(c *gin.Context) (*onboarding.Application, error) {
	app, err := h.currentApp(c)
	if err == nil && !app.Status.Open() {
		return nil, apperr.New(apperr.NotFound, "err.link.none", "server: current request")
	}
	return app, err
}

// hostCookie remembers the host an association came from (the host
// directory links to /demande?hebergeur=SLUG), to preselect it later.
const hostCookie = "archipel_hebergeur"

func (h *Handler) flowStart(c *gin.Context) {
	app, err := h.flowApp(c)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		h.fail(c, err)
		return
	}
	if slug := c.Query("hebergeur"); slug != "" {
		hosts, err := h.Onboarding.OpenHosts(c.Request.Context())
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, ho := range hosts {
			if ho.Slug == slug {
				h.setCookie(c, hostCookie, slug, 24*3600)
			}
		}
	}
	h.render(c, http.StatusOK, "start", h.page(c, "start.title", app))
}

func stepTitle(s onboarding.Step) string { return "step." + s.Slug() + ".title" }

func (h *Handler) stepPage(c *gin.Context, step onboarding.Step, app *onboarding.Application, form any) (Page, error) {
	sp := &StepPage{Step: step, StepCount: onboarding.StepCount, Slug: step.Slug(), Form: form, App: app, Choices: choices}
	if c.Query("retour") == "recapitulatif" || c.PostForm("retour") == "recapitulatif" {
		sp.Return = "recapitulatif"
	}
	if step == onboarding.StepHost || step == onboarding.StepReview {
		hosts, err := h.Onboarding.OpenHosts(c.Request.Context())
		if err != nil {
			return Page{}, err
		}
		sp.Hosts = hosts
		if app != nil && app.Answers.Host.Choice == "auto" {
			sp.Eligible = onboarding.EligibleHosts(app.Answers.Association.Departement, app.Answers.Needs.Services, hosts)
		}
	}
	return h.page(c, stepTitle(step), sp), nil
}

// formFor returns the answers of a step, as stored, for editing.
func formFor(step onboarding.Step, a *onboarding.Answers) any {
	switch step {
	case onboarding.StepAssociation:
		return &a.Association
	case onboarding.StepMembers:
		return &a.Members
	case onboarding.StepTools:
		return &a.Tools
	case onboarding.StepNeeds:
		return &a.Needs
	case onboarding.StepHost:
		return &a.Host
	default:
		return &a.Consent
	}
}

func (h *Handler) flowStep(c *gin.Context) {
	step, ok := onboarding.StepFromSlug(c.Param("step"))
	if !ok {
		h.notFound(c)
		return
	}
	app, err := h.flowApp(c)
	switch {
	case errors.Is(err, apperr.ErrNotFound) && step == onboarding.StepAssociation:
		p, err := h.stepPage(c, step, nil, &onboarding.AssociationStep{})
		if err != nil {
			h.fail(c, err)
			return
		}
		h.renderStatic(c, "step_"+step.Slug(), p) // the empty form
		return
	case errors.Is(err, apperr.ErrNotFound):
		redirect(c, "/demande", "")
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	if !app.Editable() {
		redirect(c, "/suivi", "")
		return
	}
	if !app.MayEdit(step) {
		redirect(c, editableStep(app), "")
		return
	}
	form := formFor(step, &app.Answers)
	if hs, ok := form.(*onboarding.HostStep); ok && hs.Choice == "" {
		if slug, err := c.Cookie(hostCookie); err == nil {
			preset := *hs
			preset.Choice = slug
			form = &preset
		}
	}
	p, err := h.stepPage(c, step, app, form)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "step_"+step.Slug(), p)
}

// editableStep is where the association goes from a step it may not
// change: the furthest step of a draft, the review of a request sent back
// to it (where the reopened steps are linked).
func editableStep(app *onboarding.Application) string {
	if app.Status == onboarding.StatusInfoRequested {
		return "/demande/" + onboarding.StepReview.Slug()
	}
	return "/demande/" + app.Step.Slug()
}

func (h *Handler) flowStepSubmit(c *gin.Context) {
	step, ok := onboarding.StepFromSlug(c.Param("step"))
	if !ok {
		h.notFound(c)
		return
	}
	app, err := h.flowApp(c)
	if err != nil && !(errors.Is(err, apperr.ErrNotFound) && step == onboarding.StepAssociation) {
		if errors.Is(err, apperr.ErrNotFound) {
			redirect(c, "/demande", "")
			return
		}
		h.fail(c, err)
		return
	}
	if app != nil && !app.Editable() {
		redirect(c, "/suivi", "")
		return
	}
	if app != nil && !app.MayEdit(step) {
		redirect(c, editableStep(app), "")
		return
	}
	var fe onboarding.FieldErrors
	var form any
	var hosts []onboarding.Host
	switch step {
	case onboarding.StepAssociation:
		f := &onboarding.AssociationStep{}
		form = f
		if err = c.ShouldBindWith(f, binding.Form); err == nil {
			fe = f.Validate()
		}
	case onboarding.StepMembers:
		f := &onboarding.MembersStep{}
		form = f
		if err = c.ShouldBindWith(f, binding.Form); err == nil {
			fe = f.Validate()
		}
	case onboarding.StepTools:
		f := &onboarding.ToolsStep{}
		form = f
		if err = c.ShouldBindWith(f, binding.Form); err == nil {
			fe = f.Validate()
		}
	case onboarding.StepNeeds:
		f := &onboarding.NeedsStep{}
		form = f
		if err = c.ShouldBindWith(f, binding.Form); err == nil {
			fe = f.Validate()
		}
	case onboarding.StepHost:
		f := &onboarding.HostStep{}
		form = f
		if err = c.ShouldBindWith(f, binding.Form); err == nil {
			if hosts, err = h.Onboarding.OpenHosts(c.Request.Context()); err == nil {
				fe = f.Validate(hosts)
			}
		}
	case onboarding.StepReview:
		f := &onboarding.ConsentStep{}
		form = f
		if err = c.ShouldBindWith(f, binding.Form); err == nil {
			fe = f.Validate()
		}
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if len(fe) > 0 {
		h.refuse(c, step, app, form, fe, "")
		return
	}
	switch step {
	case onboarding.StepAssociation:
		h.saveAssociation(c, app, form.(*onboarding.AssociationStep))
	case onboarding.StepReview:
		h.submit(c, app, form.(*onboarding.ConsentStep))
	default:
		switch f := form.(type) {
		case *onboarding.MembersStep:
			app.Answers.Members = *f
		case *onboarding.ToolsStep:
			app.Answers.Tools = *f
		case *onboarding.NeedsStep:
			app.Answers.Needs = *f
		case *onboarding.HostStep:
			app.Answers.Host = *f
		}
		if err := h.Onboarding.Save(c.Request.Context(), app, step); err != nil {
			h.refuseErr(c, step, app, form, err)
			return
		}
		next := "/demande/" + (step + 1).Slug()
		if c.PostForm("retour") == "recapitulatif" {
			next = "/demande/recapitulatif"
		}
		redirect(c, next, "")
	}
}

// refuse shows the step again with what was typed and why it was refused.
func (h *Handler) refuse(c *gin.Context, step onboarding.Step, app *onboarding.Application, form any, fe onboarding.FieldErrors, formError string) {
	p, err := h.stepPage(c, step, app, form)
	if err != nil {
		h.fail(c, err)
		return
	}
	p.Errors, p.FormError = fe, formError
	status := http.StatusBadRequest
	if formError == "err.rate_limited" {
		status = http.StatusTooManyRequests
	}
	h.render(c, status, "step_"+step.Slug(), p)
}

// refuseErr shows the step again after a domain error that is not about a
// field, or the error page for an internal one.
func (h *Handler) refuseErr(c *gin.Context, step onboarding.Step, app *onboarding.Application, form any, err error) {
	if apperr.CodeOf(err) == apperr.Internal {
		h.fail(c, err)
		return
	}
	p, perr := h.stepPage(c, step, app, form)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	p.FormError = apperr.KeyOf(err)
	h.render(c, statusOf(apperr.CodeOf(err)), "step_"+step.Slug(), p)
}

// allow counts an action of this address against an hourly limit.
func (h *Handler) allow(c *gin.Context, kind string, limit int) (bool, error) {
	return h.DB.Allow(c.Request.Context(), kind+":"+database.AddressKey(c.ClientIP()), limit, time.Hour, h.Now())
}

func (h *Handler) saveAssociation(c *gin.Context, app *onboarding.Application, f *onboarding.AssociationStep) {
	step := onboarding.StepAssociation
	// A honeypot field that people never see; robots fill it.
	if c.PostForm("nickname") != "" {
		h.refuse(c, step, app, f, nil, "err.robot")
		return
	}
	// Whether another request exists for this association or address is
	// not said here, where anyone may type anything: only once the address
	// is confirmed, on sending (see submit).
	if app == nil {
		ok, err := h.allow(c, "start", h.opts.StartsPerHour)
		if err != nil {
			h.fail(c, err)
			return
		}
		if !ok {
			h.refuse(c, step, nil, f, nil, "err.rate_limited")
			return
		}
		app, token, err := h.Onboarding.Create(c.Request.Context(), langOf(c), *f)
		if err != nil {
			h.refuseErr(c, step, nil, f, err)
			return
		}
		h.setCookie(c, appCookie, token, 90*24*3600)
		h.mailLink(c, app)
		redirect(c, "/demande/"+onboarding.StepMembers.Slug(), "link_sent")
		return
	}
	// A new address must be confirmed again: the domain revokes every
	// earlier link and mails one to the new address in the transaction that
	// saves it; this browser gets a new cookie.
	changed := !strings.EqualFold(app.Answers.Association.ContactEmail, f.ContactEmail)
	var mailer onboarding.LinkMailer
	if changed {
		mailer = h.linkMailer(c, app)
	}
	token, err := h.Onboarding.SaveAssociation(c.Request.Context(), app, *f, mailer)
	if err != nil {
		h.refuseErr(c, step, app, f, err)
		return
	}
	h.Postman.Wake()
	next, notice := "/demande/"+onboarding.StepMembers.Slug(), ""
	if c.PostForm("retour") == "recapitulatif" {
		next = "/demande/recapitulatif"
	}
	if token != "" {
		h.setCookie(c, appCookie, token, 90*24*3600)
		notice = "link_sent"
	}
	redirect(c, next, notice)
}

// linkMailer writes the e-mail carrying a new private link in the
// transaction that makes the link, or returns nil past this address's
// hourly limit of e-mails (the association can ask for the link again from
// the review page).
func (h *Handler) linkMailer(c *gin.Context, app *onboarding.Application) onboarding.LinkMailer {
	ok, err := h.allow(c, "mail", h.opts.MailsPerHour)
	if err != nil || !ok {
		h.Logger.Warn("link e-mail not sent: rate limit", slog.String("request", app.ID), slog.Any("err", err))
		return nil
	}
	return func(ctx context.Context, tx *sql.Tx, app *onboarding.Application, token string) error {
		return h.Postman.Enqueue(ctx, tx, mail.Letter{
			Lang: app.Language, Template: "link", To: app.Answers.Association.ContactEmail, RequestID: app.ID,
			Data: map[string]any{"Name": app.Answers.Association.Name, "Link": h.opts.BaseURL + "/reprendre/" + token},
		})
	}
}

// mailLink e-mails a new private link to the contact address; a failure is
// logged, not shown: the association can ask for the link again from the
// review page.
func (h *Handler) mailLink(c *gin.Context, app *onboarding.Application) {
	if err := h.Onboarding.SendLink(c.Request.Context(), app, h.linkMailer(c, app)); err != nil {
		h.Logger.Error("send link e-mail", slog.String("request", app.ID), slog.Any("err", err))
		return
	}
	h.Postman.Wake()
}

func (h *Handler) submit(c *gin.Context, app *onboarding.Application, f *onboarding.ConsentStep) {
	hosts, err := h.Onboarding.OpenHosts(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	app.Answers.Consent = *f
	terms := onboarding.TermsFor(&app.Answers, hosts, h.charterText(langOf(c)))
	app.Answers.Consent.Terms = &terms
	if missing := app.Answers.Complete(hosts); missing != 0 {
		redirect(c, "/demande/"+missing.Slug(), "")
		return
	}
	if app.Verified() && app.Status == onboarding.StatusDraft {
		// Another open request for the same association or address is told
		// only to someone who proved an address, and only so often.
		ok, err := h.allow(c, "duplicate", h.opts.StartsPerHour)
		if err != nil {
			h.fail(c, err)
			return
		}
		if !ok {
			h.refuse(c, onboarding.StepReview, app, f, nil, "err.rate_limited")
			return
		}
		a := app.Answers.Association
		if _, err := h.Onboarding.FindDuplicate(c.Request.Context(), a.LegalID, a.ContactEmail, app.ID); err == nil {
			p, perr := h.stepPage(c, onboarding.StepReview, app, f)
			if perr != nil {
				h.fail(c, perr)
				return
			}
			p.Data.(*StepPage).Duplicate = &DuplicateOffer{LegalID: a.LegalID, Email: a.ContactEmail}
			p.FormError = "err.duplicate"
			h.render(c, http.StatusConflict, "step_"+onboarding.StepReview.Slug(), p)
			return
		} else if !errors.Is(err, apperr.ErrNotFound) {
			h.fail(c, err)
			return
		}
	}
	ctx := c.Request.Context()
	kind := accounts.KindNewRequest
	if app.Status == onboarding.StatusInfoRequested {
		kind = accounts.KindInfoAnswered
	}
	// With its host chosen, the request is the host's at once: the
	// association's e-mail and the staff's notification commit with it.
	then := func(tx *sql.Tx) error {
		if app.HostID == "" {
			return nil // the archipelago chooses: matching tells them
		}
		err := h.queueLetters(ctx, func() mail.Letter { return h.associationLetter(app, "submitted", nil) })(tx)
		if err != nil {
			return err
		}
		return h.tellStaff(ctx, app, kind, kind == accounts.KindNewRequest, nil)(tx)
	}
	if err := h.Onboarding.Submit(ctx, app, hosts, then); err != nil {
		h.refuseErr(c, onboarding.StepReview, app, f, err)
		return
	}
	// The association let the archipelago choose: a host is matched now,
	// or the request waits in the shared queue and the e-mail says so.
	if app.HostID == "" {
		h.matchSubmitted(c, app, kind)
	}
	h.Postman.Wake()
	redirect(c, "/suivi", "submitted")
}

// resendLink sends a fresh private link to the address of an existing
// request; the answer is the same whether or not one exists.
func (h *Handler) resendLink(c *gin.Context) {
	ok, err := h.allow(c, "resend", h.opts.MailsPerHour)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !ok {
		h.renderError(c, http.StatusTooManyRequests, "err.rate_limited")
		return
	}
	var app *onboarding.Application
	if current, err := h.currentApp(c); err == nil && c.PostForm("contact_email") == "" {
		app = current
	} else {
		legalID := strings.TrimSpace(c.PostForm("legal_id"))
		if _, canon, ok := onboarding.NormalizeLegalID(legalID); ok {
			legalID = canon
		}
		email, _ := onboarding.NormalizeEmail(c.PostForm("contact_email"))
		if legalID != "" || email != "" {
			app, err = h.Onboarding.FindDuplicate(c.Request.Context(), legalID, email, "")
			if err != nil && !errors.Is(err, apperr.ErrNotFound) {
				h.fail(c, err)
				return
			}
		}
	}
	if app != nil {
		h.mailLink(c, app)
	}
	h.render(c, http.StatusOK, "link_resent", h.page(c, "link_resent.title", nil))
}

// resume opens the flow or the status page from the e-mailed link, which
// also proves the address.
func (h *Handler) resume(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer")
	app, confirms, err := h.Onboarding.Open(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	// Only a link e-mailed to the current address proves the address.
	if confirms {
		if err := h.Onboarding.Verify(c.Request.Context(), app); err != nil {
			h.fail(c, err)
			return
		}
	}
	h.setCookie(c, appCookie, c.Param("token"), 90*24*3600)
	if app.Status == onboarding.StatusInfoRequested {
		// The host's question and the steps it reopened are on the status
		// page: the link from the "more information" e-mail opens there.
		redirect(c, "/suivi#info", "")
		return
	}
	if app.Editable() {
		redirect(c, "/demande/"+app.Step.Slug(), "verified")
		return
	}
	redirect(c, "/suivi", "")
}
