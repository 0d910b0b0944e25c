package server

import (
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
)

// matchSubmitted gives a request just submitted without a host (the
// association let the archipelago choose) to a host and, in the same
// transaction, e-mails the association ("submitted", or "waiting_host" when
// no host can take it for now and it waits in the shared queue) and tells
// the staff who now have it (the host's, or the administrators). A failure
// is logged: the request stays in the shared queue, where an administrator
// sees it, and the e-mails go on their own.
func (h *Handler) matchSubmitted(c *gin.Context, app *onboarding.Application, kind accounts.Kind) {
	ctx := c.Request.Context()
	tell := func(tx *sql.Tx) error {
		template := "submitted"
		if app.HostID == "" {
			template = "waiting_host"
		}
		err := h.queueLetters(ctx, func() mail.Letter { return h.associationLetter(app, template, nil) })(tx)
		if err != nil {
			return err
		}
		return h.tellStaff(ctx, app, kind, kind == accounts.KindNewRequest, func(n *accounts.Notice) {
			if n.HostID == "" && kind == accounts.KindNewRequest {
				n.Data = map[string]any{"Key": "new_request_shared"}
			}
		})(tx)
	}
	// The match's audit line (by the system) commits with it; MatchHost
	// has set the request's host and reason when it runs.
	audit := func(tx *sql.Tx) error {
		if h.Accounts == nil {
			return nil
		}
		action, hostID := accounts.ActionHostWaiting, ""
		if app.HostID != "" {
			action, hostID = accounts.ActionHostMatched, app.HostID
		}
		return h.Accounts.RecordIn(ctx, nil, action, hostID, app.ID, app.MatchReason)(tx)
	}
	if _, err := h.Onboarding.MatchHost(ctx, app, tell, audit); err != nil {
		h.Logger.Error("match a host", slog.String("request", app.ID), slog.Any("err", err))
		if err := h.DB.Tx(ctx, tell); err != nil {
			h.Logger.Error("queue the e-mails of a request", slog.String("request", app.ID), slog.Any("err", err))
		}
	}
}

// AdminQueuePage is the shared queue: submitted requests no host has.
type AdminQueuePage struct {
	Requests []onboarding.Application
}

func (h *Handler) adminQueue(c *gin.Context) {
	apps, err := h.Onboarding.WaitingForHost(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_queue", h.adminPage(c, "admin.queue.title", &AdminQueuePage{Requests: apps}))
}

// HostChangePage gives a request to a host: from the shared queue
// (Transfer false) or away from its current host.
type HostChangePage struct {
	App      *onboarding.Application
	Current  *onboarding.HostProfile // nil in the shared queue
	Hosts    []onboarding.HostProfile
	Form     *onboarding.HostChange
	Transfer bool
	Action   string
}

// Departement is the request's département, as matching sees it.
func (p *HostChangePage) Departement() string { return p.App.Answers.Association.Departement }

// Services are the services the request asks for.
func (p *HostChangePage) Services() []string { return p.App.Answers.Needs.Services }

func (h *Handler) adminHostChangePage(c *gin.Context, app *onboarding.Application, f *onboarding.HostChange, transfer bool) (Page, error) {
	ctx := c.Request.Context()
	hosts, err := h.Onboarding.ListHosts(ctx)
	if err != nil {
		return Page{}, err
	}
	sp := &HostChangePage{App: app, Hosts: hosts, Form: f, Transfer: transfer, Action: c.Request.URL.Path}
	title := "admin.assign.title"
	if transfer {
		title = "admin.transfer.title"
		for i := range hosts {
			if hosts[i].ID == app.HostID {
				sp.Current = &hosts[i]
			}
		}
	}
	if sp.Form == nil {
		sp.Form = &onboarding.HostChange{}
	}
	return h.adminPage(c, title, sp), nil
}

func (h *Handler) adminAssignPage(c *gin.Context) {
	app := h.requestFor(c, false)
	if app == nil {
		return
	}
	if app.HostID != "" || app.Status != onboarding.StatusSubmitted {
		redirect(c, "/staff/admin/queue", "")
		return
	}
	p, err := h.adminHostChangePage(c, app, nil, false)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_host_change", p)
}

// adminAssign gives a request of the shared queue to a host and tells the
// association.
func (h *Handler) adminAssign(c *gin.Context) {
	h.adminChangeHost(c, false)
}

// canTransfer reports whether a user may move a request to another host:
// administrators, and the staff of its current host.
func canTransfer(u *accounts.User, app *onboarding.Application) bool {
	return app.MayTransfer(u)
}

// transferPage shows the form moving a request to another host. It checks
// who may transfer itself, so that the staff's request pages may mount it
// too.
func (h *Handler) transferPage(c *gin.Context) {
	app := h.requestFor(c, false)
	if app == nil {
		return
	}
	if !canTransfer(userOf(c), app) {
		h.notFound(c)
		return
	}
	p, err := h.adminHostChangePage(c, app, nil, true)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !app.Transferable() {
		p.FormError = "err.transfer.too_late"
	}
	h.render(c, http.StatusOK, "admin_host_change", p)
}

// transfer moves a request to another host and tells the association.
func (h *Handler) transfer(c *gin.Context) {
	h.adminChangeHost(c, true)
}

func (h *Handler) adminChangeHost(c *gin.Context, transfer bool) {
	ctx := c.Request.Context()
	u := userOf(c)
	app := h.requestFor(c, false)
	if app == nil {
		return
	}
	if transfer && !canTransfer(u, app) {
		h.notFound(c)
		return
	}
	f := &onboarding.HostChange{}
	if err := c.ShouldBindWith(f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	from := app.HostID
	// The audit line and the association's e-mail commit with the change.
	var then []database.Then
	if target, err := h.Onboarding.GetHost(ctx, strings.TrimSpace(f.HostID)); err == nil {
		action, auditHost, detail, template := accounts.ActionRequestAssigned, target.ID, strings.TrimSpace(f.Reason), "host_assigned"
		if transfer {
			// The audit line stays with the sending host and names it, not its id.
			fromName := from
			if old, err := h.Onboarding.GetHost(ctx, from); err == nil {
				fromName = old.Name
			}
			action, auditHost, template = accounts.ActionRequestTransferred, from, "transferred"
			detail = onboarding.StoredMessage("audit.transferred", map[string]any{"From": fromName, "Reason": strings.TrimSpace(f.Reason)})
		}
		then = append(then, h.Accounts.RecordIn(ctx, u, action, auditHost, app.ID, detail),
			h.queueLetters(ctx, func() mail.Letter {
				return mail.Letter{Lang: app.Language, Template: template, To: app.Answers.Association.ContactEmail, RequestID: app.ID,
					Data: map[string]any{"Name": app.Answers.Association.Name, "Host": target.Name, "Link": pendingLink}}
			}))
	} else if !errors.Is(err, apperr.ErrNotFound) {
		h.fail(c, err)
		return
	}
	var fe onboarding.FieldErrors
	var err error
	if transfer {
		fe, err = h.Onboarding.Transfer(ctx, app, f, u, then...)
	} else {
		fe, err = h.Onboarding.AssignWaiting(ctx, app, f, u, then...)
	}
	if err != nil && apperr.CodeOf(err) == apperr.Internal {
		h.fail(c, err)
		return
	}
	if err != nil || len(fe) > 0 {
		p, perr := h.adminHostChangePage(c, app, f, transfer)
		if perr != nil {
			h.fail(c, perr)
			return
		}
		p.Errors = fe
		status := http.StatusBadRequest
		if err != nil {
			p.FormError, status = apperr.KeyOf(err), statusOf(apperr.CodeOf(err))
		}
		h.render(c, status, "admin_host_change", p)
		return
	}
	h.Postman.Wake()
	if transfer {
		if u.Admin() {
			redirect(c, c.Request.URL.Path, "request_transferred")
		} else {
			redirect(c, "/staff", "")
		}
		return
	}
	redirect(c, "/staff/admin/queue", "assigned")
}
