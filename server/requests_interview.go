package server

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning"
)

// InterviewPage is the data of the interview page: planning it, and the
// guide to conduct it.
type InterviewPage struct {
	App       *onboarding.Application
	Interview *onboarding.Interview
	Form      onboarding.InterviewForm
	Guide     onboarding.GuideNotes
	Sections  []string
	Modes     []string
	Version   int
	// RescheduleMessage is what the association wrote when asking for
	// another time.
	RescheduleMessage string
	// Typed is set when a refused scheduling form is shown again.
	Typed bool
}

// CanSchedule reports whether the interview may be planned or moved now.
func (p *InterviewPage) CanSchedule() bool {
	return onboarding.CanMove(p.App.Status, onboarding.StatusInterviewPlanned)
}

// interviewData builds the interview page; form is what was typed, or nil
// for the interview as planned.
func (h *Handler) interviewData(c *gin.Context, app *onboarding.Application, form *onboarding.InterviewForm, guide onboarding.GuideNotes) (Page, error) {
	ip := &InterviewPage{App: app, Sections: onboarding.GuideSections, Modes: onboarding.InterviewModes, Version: app.Version}
	iv, err := h.Onboarding.Interview(c.Request.Context(), app.ID)
	switch {
	case err == nil:
		ip.Interview = iv
		ip.Form, ip.Guide = iv.Form(), iv.Notes
	case errors.Is(err, apperr.ErrNotFound):
		ip.Form = onboarding.InterviewForm{Duration: "60"}
	default:
		return Page{}, err
	}
	if ip.Interview != nil && ip.Interview.Status == onboarding.InterviewRescheduleRequested {
		events, err := h.Onboarding.Timeline(c.Request.Context(), userOf(c), app.ID)
		if err != nil {
			return Page{}, err
		}
		ip.RescheduleMessage = onboarding.LastDetail(events, "reschedule_requested")
	}
	if form != nil {
		ip.Form, ip.Typed = *form, true
	}
	if guide != nil {
		ip.Guide = guide
	}
	return h.page(c, "req.interview.title", ip), nil
}

func (h *Handler) interviewPage(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	p, err := h.interviewData(c, app, nil, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "requests_interview", p)
}

// refuseInterview shows the interview page again with what was typed.
func (h *Handler) refuseInterview(c *gin.Context, app *onboarding.Application, status int, form *onboarding.InterviewForm,
	guide onboarding.GuideNotes, fe onboarding.FieldErrors, formError string) {
	p, err := h.interviewData(c, app, form, guide)
	if err != nil {
		h.fail(c, err)
		return
	}
	p.Errors, p.FormError = fe, formError
	h.render(c, status, "requests_interview", p)
}

// interviewSchedule plans the interview (or moves it) and sends the
// association an invitation it can add to its calendar.
func (h *Handler) interviewSchedule(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	ctx := c.Request.Context()
	var f onboarding.InterviewForm
	if err := c.ShouldBindWith(&f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	slot, fe := f.Validate(h.Now())
	if key := decisionRefused(c, app, onboarding.StatusInterviewPlanned); key != "" {
		h.refuseInterview(c, app, refusal(key), &f, nil, fe, key)
		return
	}
	if len(fe) > 0 {
		h.refuseInterview(c, app, http.StatusBadRequest, &f, nil, fe, "")
		return
	}
	// Read before the transaction: the invitation names the host.
	var host *provisioning.Host
	var err error
	if app.HostID != "" {
		if host, err = h.Hosts.Get(ctx, app.HostID); err != nil {
			if !errors.Is(err, apperr.ErrNotFound) {
				h.fail(c, err)
				return
			}
			host = nil
		}
	}
	// The audit line and the invitation commit with the interview.
	_, _, err = h.Onboarding.ScheduleInterview(ctx, app, slot, userOf(c),
		func(iv *onboarding.Interview, moved bool) database.Then {
			action := accounts.ActionInterviewPlanned
			if moved {
				action = accounts.ActionInterviewMoved
			}
			return h.Accounts.RecordIn(ctx, userOf(c), action, app.HostID, app.ID, iv.Start.Format(time.RFC3339)+" "+iv.Mode)
		},
		func(iv *onboarding.Interview, moved bool) database.Then {
			return h.queueLetters(ctx, func() mail.Letter { return h.invitation(app, host, iv, moved) })
		})
	if errors.Is(err, apperr.ErrConflict) {
		key := h.conflictAfter(ctx, app)
		h.refuseInterview(c, app, refusal(key), &f, nil, nil, key)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/requests/"+app.ID, "interview_planned")
}

// invitation is the association's e-mail of its interview with an .ics
// invitation, in its language.
// host is the request's host, nil when it has none.
func (h *Handler) invitation(app *onboarding.Application, host *provisioning.Host, iv *onboarding.Interview, moved bool) mail.Letter {
	lang := app.Language
	inv := onboarding.Invitation{
		Domain:        "archipel",
		Summary:       h.Templates.MustT(lang, "req.ics.summary", "Name", app.Answers.Association.Name),
		AttendeeName:  app.Answers.Members.ContactName,
		AttendeeEmail: app.Answers.Association.ContactEmail,
		Stamp:         h.Now(),
	}
	if u, err := url.Parse(h.opts.BaseURL); err == nil && u.Hostname() != "" {
		inv.Domain = u.Hostname()
	}
	hostName := ""
	if host != nil {
		hostName = host.Name
		inv.Summary = h.Templates.MustT(lang, "req.ics.summary_host", "Name", app.Answers.Association.Name, "Host", host.Name)
		inv.OrganizerName, inv.OrganizerEmail = host.Name, host.ContactEmail
	}
	switch iv.Mode {
	case onboarding.ModeVideo:
		inv.Location, inv.URL = iv.Link, iv.Link
	case onboarding.ModeInPerson:
		inv.Location = iv.Place
	case onboarding.ModePhone:
		inv.Location = h.Templates.MustT(lang, "opt.interview_mode.phone")
	}
	inv.Description = h.Templates.MustT(lang, "req.ics.description", "Name", app.Answers.Association.Name) +
		"\n" + h.opts.BaseURL + "/suivi"
	att := mail.Attachment{Filename: "invitation.ics", ContentType: mail.CalendarContentType, Data: iv.Calendar(inv)}
	l := h.associationLetter(app, "interview_planned", map[string]any{
		"Host": hostName, "Start": iv.Start, "Minutes": iv.Minutes(), "Mode": iv.Mode, "MeetingURL": iv.Link,
		"Place": iv.Place, "Phone": app.Answers.Members.ContactPhone, "Moved": moved,
	})
	l.Attachments = []mail.Attachment{att}
	return l
}

// interviewGuideSave keeps the interview guide's notes with the request.
func (h *Handler) interviewGuideSave(c *gin.Context) {
	app := h.requestFor(c, true)
	if app == nil {
		return
	}
	notes := onboarding.GuideNotes{}
	for _, sec := range onboarding.GuideSections {
		notes[sec] = c.PostForm("guide_" + sec)
	}
	if fe := notes.Validate(); len(fe) > 0 {
		h.refuseInterview(c, app, http.StatusBadRequest, nil, notes, fe, "")
		return
	}
	// The audit line commits with the notes.
	ctx, u := c.Request.Context(), userOf(c)
	err := h.Onboarding.SaveGuideNotes(ctx, u, app.ID, notes, h.Accounts.RecordIn(ctx, u, accounts.ActionInterviewNotesSaved, app.HostID, app.ID, ""))
	if apperr.KeyOf(err) == "err.interview.none" {
		h.refuseInterview(c, app, http.StatusConflict, nil, notes, nil, "err.interview.none")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	redirect(c, "/staff/requests/"+app.ID+"/interview", "notes_saved")
}
