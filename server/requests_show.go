package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/rights"
)

// RequestPage is the data of a request's page for staff.
type RequestPage struct {
	App       *onboarding.Application
	Host      *provisioning.Host // nil while no host is assigned
	Events    []EventLine
	Notes     []onboarding.Note
	NoteForm  onboarding.NoteForm
	Audit     []AuditLine
	Interview *onboarding.Interview
	Sections  []string
	Job       *provisioning.Job
	Workspace *provisioning.Workspace
	Reopened  []onboarding.Step
	CanDecide bool
	// Who follows the request, and whom staff may give it to.
	AssignedTo onboarding.Assignee
	Assignees  []onboarding.Assignee
	Case       string // the accompaniment case opened for it, if any
	// Unserved are the services asked for that the request's host was last
	// seen not to offer, for the interview.
	Unserved []string
	// ErasurePending is the association's erasure request waiting for an
	// answer (confirm or refuse), for those who decide.
	ErasurePending *rights.ErasureRequest
	// Terms is which terms the association accepted.
	Terms *TermsLine
}

// EventLine is a timeline entry as a person reads it: who, what, the
// detail, in the page's language.
type EventLine struct {
	onboarding.Event
	Who, What, Text string
}

// AuditLine is an audit entry as a person reads it.
type AuditLine struct {
	accounts.Entry
	Who, What, Text string
	// RequestName is the association of the request it is about, for the
	// link's accessible name (empty when the request is gone).
	RequestName string
}

// Decidable reports whether the request waits for a decision.
func (p *RequestPage) Decidable() bool {
	return onboarding.CanMove(p.App.Status, onboarding.StatusApproved)
}

// CanSchedule reports whether an interview may be planned or moved.
func (p *RequestPage) CanSchedule() bool {
	return onboarding.CanMove(p.App.Status, onboarding.StatusInterviewPlanned)
}

// CanDecline reports whether the request may still be declined.
func (p *RequestPage) CanDecline() bool {
	return onboarding.CanMove(p.App.Status, onboarding.StatusDeclined)
}

// CanRequestInfo reports whether the association may be asked for more.
func (p *RequestPage) CanRequestInfo() bool {
	return onboarding.CanMove(p.App.Status, onboarding.StatusInfoRequested)
}

// CanTransfer reports whether the request may still go to another host.
func (p *RequestPage) CanTransfer() bool { return p.App.Transferable() }

// CanRetry reports whether the provisioning stopped and may be resumed.
func (p *RequestPage) CanRetry() bool {
	return p.Job != nil && (p.Job.Status.Stopped() || p.Job.Status == provisioning.JobRetry)
}

// CanCancel reports whether the provisioning may still be stopped.
func (p *RequestPage) CanCancel() bool {
	return p.Job != nil && p.Job.Status != provisioning.JobSucceeded && p.Job.Status != provisioning.JobCancelled
}

// requestPage gathers everything the request's page shows.
func (h *Handler) requestPage(c *gin.Context, app *onboarding.Application) (Page, error) {
	ctx := c.Request.Context()
	lang := langOf(c)
	rp := &RequestPage{App: app, Sections: onboarding.GuideSections, CanDecide: canDecide(userOf(c))}
	if app.HostID != "" {
		host, err := h.Hosts.Get(ctx, app.HostID)
		if err != nil {
			return Page{}, err
		}
		rp.Host = host
	}
	events, err := h.Onboarding.Timeline(ctx, userOf(c), app.ID)
	if err != nil {
		return Page{}, err
	}
	rd, err := h.newReadable(ctx, lang)
	if err != nil {
		return Page{}, err
	}
	for _, e := range events {
		rp.Events = append(rp.Events, EventLine{Event: e, Who: rd.eventActor(e, app.Answers.Association.Name),
			What: rd.eventWhat(e.Kind), Text: rd.eventDetail(e)})
	}
	if rp.Terms, err = h.termsLine(c, rd, app.Answers.Consent.Terms); err != nil {
		return Page{}, err
	}
	if rp.Notes, err = h.Onboarding.Notes(ctx, userOf(c), app.ID); err != nil {
		return Page{}, err
	}
	entries, err := h.Accounts.Audit(ctx, accounts.AuditFilter{Viewer: userOf(c), ApplicationID: app.ID, Limit: 500})
	if err != nil {
		return Page{}, err
	}
	for _, e := range entries {
		rp.Audit = append(rp.Audit, AuditLine{Entry: e, Who: rd.actor(e.ActorEmail), What: rd.auditAction(e.Action), Text: rd.auditDetail(e)})
	}
	if app.HostID != "" && rp.Host != nil {
		offer, err := h.Hosts.Offer(ctx, app.HostID)
		if err != nil {
			return Page{}, err
		}
		if offer.Known() {
			rp.Unserved = offer.Unserved(app.Answers.Needs.Services)
		}
	}
	if iv, err := h.Onboarding.Interview(ctx, app.ID); err == nil {
		rp.Interview = iv
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return Page{}, err
	}
	if job, err := h.Engine.Jobs.ByApplication(ctx, app.ID); err == nil {
		rp.Job = job
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return Page{}, err
	}
	if ws, err := h.Engine.Jobs.Workspace(ctx, app.ID); err == nil {
		rp.Workspace = ws
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return Page{}, err
	}
	if h.Training != nil {
		if cs, err := h.Training.ByApplication(ctx, app.ID); err == nil {
			rp.Case = cs.ID
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return Page{}, err
		}
	}
	if rp.AssignedTo, err = h.Onboarding.Assignment(ctx, app.ID); err != nil {
		return Page{}, err
	}
	if rp.Assignees, err = h.Onboarding.Assignees(ctx, app.HostID); err != nil {
		return Page{}, err
	}
	if app.Status == onboarding.StatusInfoRequested {
		if rp.Reopened, err = h.Onboarding.ReopenedSteps(ctx, app.ID); err != nil {
			return Page{}, err
		}
	}
	if rp.CanDecide {
		switch st, err := h.Rights.ErasureStateOf(ctx, rights.Requester{Staff: userOf(c)}, app.ID); {
		case err == nil:
			rp.ErasurePending = st.Pending
		case !errors.Is(err, apperr.ErrNotFound):
			return Page{}, err
		}
	}
	return h.page(c, "req.show.title", rp), nil
}

func (h *Handler) requestShow(c *gin.Context) {
	// An erased request keeps only the register's record: that page
	// instead, and the clean-up of its workspace while there is one.
	switch rec, err := h.Rights.ErasedFor(c.Request.Context(), userOf(c), c.Param("id")); {
	case err == nil:
		h.requestErased(c, rec)
		return
	case !errors.Is(err, apperr.ErrNotFound):
		h.fail(c, err)
		return
	}
	app := h.requestFor(c, false)
	if app == nil {
		return
	}
	p, err := h.requestPage(c, app)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "requests_show", p)
}

// refuseOnRequest shows the request's page again with why an action on it
// was refused, and what was typed in the note form.
func (h *Handler) refuseOnRequest(c *gin.Context, app *onboarding.Application, status int, formError string, fe onboarding.FieldErrors, note *onboarding.NoteForm) {
	p, err := h.requestPage(c, app)
	if err != nil {
		h.fail(c, err)
		return
	}
	p.FormError, p.Errors = formError, fe
	if note != nil {
		p.Data.(*RequestPage).NoteForm = *note
	}
	h.render(c, status, "requests_show", p)
}

// requestAddNote keeps an internal note on the request.
func (h *Handler) requestAddNote(c *gin.Context) {
	app := h.requestFor(c, false)
	if app == nil {
		return
	}
	var f onboarding.NoteForm
	if err := c.ShouldBindWith(&f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	if fe := f.Validate(); len(fe) > 0 {
		h.refuseOnRequest(c, app, http.StatusBadRequest, "", fe, &f)
		return
	}
	// The audit line commits with the note.
	ctx, u := c.Request.Context(), userOf(c)
	_, err := h.Onboarding.AddNote(ctx, u, app.ID, f, func(n *onboarding.Note) database.Then {
		return h.Accounts.RecordIn(ctx, u, accounts.ActionNoteAdded, app.HostID, app.ID, "note "+strconv.FormatInt(n.ID, 10))
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	redirect(c, "/staff/requests/"+app.ID, "note_added")
}

// ErasedPage is what staff read of an erased request: when and at whose
// request it was erased, and the clean-up of its workspace on the host if
// one was chosen. Nothing personal: the request's row, when it is kept,
// is not read.
type ErasedPage struct {
	Record *rights.ErasedRecord
	// Request carries only the request's id and the clean-up job, for the
	// job's section shared with the request's page.
	Request *RequestPage
}

// requestErased shows the minimal page of an erased request.
func (h *Handler) requestErased(c *gin.Context, rec *rights.ErasedRecord) {
	rp := &RequestPage{App: &onboarding.Application{ID: rec.ApplicationID}, CanDecide: canDecide(userOf(c))}
	switch job, err := h.Engine.Jobs.ByApplication(c.Request.Context(), rec.ApplicationID); {
	case err == nil && job.Kind == provisioning.KindCleanup:
		rp.Job = job
	case err != nil && !errors.Is(err, apperr.ErrNotFound):
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "request_erased", h.page(c, "rights.erased.title", &ErasedPage{Record: rec, Request: rp}))
}
