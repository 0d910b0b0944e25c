package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/rights"
	"archipel/training"
)

// Milestone is one line of the status timeline.
type Milestone struct {
	Status onboarding.Status
	State  string // "done", "current" or "todo"
	At     onboarding.Event
}

// StatusPage is the data of the status page.
type StatusPage struct {
	App        *onboarding.Application
	Milestones []Milestone
	Events     []onboarding.Event
	Ended      bool
	// The interview while one is planned; the association may ask for
	// another time (Reschedule is that form, as typed).
	Interview  *onboarding.Interview
	Reschedule onboarding.Reschedule
	// What staff asked for while the request waits for the association.
	InfoMessage string
	Reopened    []onboarding.Step
	// The host handling the request (its public contact), once there is one.
	Host *StatusHost
	// Once the space is ready: where and how to log in, and what comes next.
	Workspace   *provisioning.Workspace
	NextSession *training.Session
	Checkins    []training.CheckIn // still to come, by date
	// The association's erasure request, waiting or refused (with the
	// reason staff gave).
	Erasure *rights.ErasureState
}

// StatusHost is what the status page says of the host: its name and how to
// reach it.
type StatusHost struct {
	Name, Website, ContactEmail, HelpURL string
}

func (h *Handler) status(c *gin.Context) {
	app, err := h.currentApp(c)
	if errors.Is(err, apperr.ErrNotFound) {
		h.render(c, http.StatusOK, "status_nolink", h.page(c, "status.title", nil))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if app.Status == onboarding.StatusDraft {
		redirect(c, "/demande/"+app.Step.Slug(), "")
		return
	}
	sp, err := h.statusData(c.Request.Context(), app)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "status", h.page(c, "status.title", sp))
}

// statusPage lays the milestones out: reached ones are done, the latest is
// current, the rest to come.
func statusPage(app *onboarding.Application, events []onboarding.Event) *StatusPage {
	sp := &StatusPage{App: app, Events: events}
	sp.Ended = app.Status == onboarding.StatusDeclined || app.Status == onboarding.StatusWithdrawn
	reached := map[onboarding.Status]onboarding.Event{}
	for _, e := range events {
		reached[onboarding.Status(e.Kind)] = e
	}
	current := -1
	for i, m := range onboarding.Milestones {
		if _, ok := reached[m]; ok {
			current = i
		}
	}
	for i, m := range onboarding.Milestones {
		ms := Milestone{Status: m, State: "todo", At: reached[m]}
		_, happened := reached[m]
		switch {
		case i < current && !happened:
			// Passed over (approved without an interview, or before its
			// date): the timeline says what really happened.
			ms.State = "skipped"
		case i < current:
			ms.State = "done"
		case i == current && !sp.Ended:
			ms.State = "current"
		case i == current:
			ms.State = "done"
		}
		if m == onboarding.StatusReady && app.Status == onboarding.StatusReady {
			ms.State = "done"
		}
		sp.Milestones = append(sp.Milestones, ms)
	}
	return sp
}

func (h *Handler) withdrawConfirm(c *gin.Context) {
	app, err := h.currentApp(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !app.Status.Withdrawable() {
		redirect(c, "/suivi", "")
		return
	}
	h.render(c, http.StatusOK, "withdraw", h.page(c, "withdraw.title", app))
}

func (h *Handler) withdraw(c *gin.Context) {
	app, err := h.currentApp(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	then := []database.Then{h.queueLetters(ctx, func() mail.Letter { return h.associationLetter(app, "withdrawn", nil) })}
	if app.Status != onboarding.StatusDraft {
		then = append(then, h.tellStaff(ctx, app, accounts.KindWithdrawn, false, nil))
	}
	if err := h.Onboarding.Withdraw(ctx, app, then...); err != nil {
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/suivi", "withdrawn")
}

// statusNextSteps adds to the status page who handles the request and,
// once the space is ready, how to log in and what comes next.
func (h *Handler) statusNextSteps(ctx context.Context, app *onboarding.Application, sp *StatusPage) error {
	if app.HostID == "" || sp.Ended {
		return nil
	}
	host, err := h.Hosts.Get(ctx, app.HostID)
	if err != nil {
		return err
	}
	sp.Host = &StatusHost{Name: host.Name, Website: host.Website, ContactEmail: host.ContactEmail, HelpURL: host.HelpURL}
	if app.Status != onboarding.StatusReady || h.Engine == nil {
		return nil
	}
	ws, err := h.Engine.Jobs.Workspace(ctx, app.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ws.Disabled() {
		return nil
	}
	sp.Workspace = ws
	if h.Training == nil {
		return nil
	}
	cs, err := h.Training.ByApplication(ctx, app.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := h.Now()
	sessions, err := h.Training.Sessions(ctx, cs.ID)
	if err != nil {
		return err
	}
	for i := range sessions {
		if s := sessions[i]; s.StartsAt.After(now) && (sp.NextSession == nil || s.StartsAt.Before(sp.NextSession.StartsAt)) {
			sp.NextSession = &sessions[i]
		}
	}
	checkins, err := h.Training.Checkins(ctx, cs.ID)
	if err != nil {
		return err
	}
	for _, ci := range checkins {
		if ci.Status == training.CheckinScheduled && ci.DueAt.After(now) {
			sp.Checkins = append(sp.Checkins, ci)
		}
	}
	return nil
}
