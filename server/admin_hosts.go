package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/chatonsinfos"
	"archipel/database"
	"archipel/onboarding"
	"archipel/provisioning"
)

// adminNotices are the notices the administrator's pages show after a
// redirect, besides those every page knows (validNotice).
var adminNotices = map[string]bool{"host_paused": true, "host_resumed": true, "user_disabled": true, "enabled": true, "reinvited": true,
	"assigned": true, "request_transferred": true, "mail_retried": true, "staff_deleted": true}

// adminPage is h.page that also shows the administrator's own notices.
func (h *Handler) adminPage(c *gin.Context, title string, data any) Page {
	p := h.page(c, title, data)
	if n := c.Query("notice"); p.Flash == "" && adminNotices[n] {
		p.Flash = "admin.notice." + n
	}
	return p
}

// adminRecord writes an administrator's action to the audit log; a failure is
// logged, the action having happened.
func (h *Handler) adminRecord(c *gin.Context, action accounts.Action, hostID, applicationID, detail string) {
	if err := h.Accounts.Record(c.Request.Context(), userOf(c), action, hostID, applicationID, detail); err != nil {
		h.Logger.Error("audit log", slog.String("action", string(action)), slog.Any("err", err))
	}
}

// AdminHostsPage is the list of partner hosts.
type AdminHostsPage struct {
	Hosts   []onboarding.HostProfile
	Waiting int // requests in the shared queue
}

// AdminHostPage is a host's settings form, for a new host when Host is nil.
type AdminHostPage struct {
	Host     *onboarding.HostProfile
	Form     *onboarding.HostForm
	Regions  []string
	Services []string
	// ChatonsInfos: shown when the service reads them (ChatonsOn); Chatons
	// is nil while the host has no file linked.
	ChatonsOn  bool
	Chatons    *onboarding.HostChatonsInfos
	ChatonsURL string                     // as typed, or the linked file's
	Preview    *chatonsinfos.Organization // the file a new host's form was filled from
	// Offer is what the host's Nextcloud was last seen to offer (read at
	// preflight and by the connection test); not Known before.
	Offer provisioning.Offer
}

// Languages are those the host's contact may be written to in.
func (p *AdminHostPage) Languages() []string { return []string{"fr", "en"} }

func (h *Handler) adminHosts(c *gin.Context) {
	ctx := c.Request.Context()
	hosts, err := h.Onboarding.ListHosts(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	waiting, err := h.Onboarding.WaitingForHost(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_hosts", h.adminPage(c, "admin.hosts.title", &AdminHostsPage{Hosts: hosts, Waiting: len(waiting)}))
}

func (h *Handler) adminHostPage(c *gin.Context, host *onboarding.HostProfile, f *onboarding.HostForm, fe onboarding.FieldErrors) Page {
	title := "admin.host.new_title"
	if host != nil {
		title = "admin.host.title"
	}
	data := &AdminHostPage{Host: host, Form: f, Regions: onboarding.Regions(), Services: onboarding.Services, ChatonsOn: h.Chatons != nil}
	if host != nil && h.Chatons != nil {
		data.Chatons, data.ChatonsURL = h.hostChatons(c, host.ID)
	}
	if host != nil {
		// A page never fails for this: an offer not read shows as such.
		data.Offer, _ = h.Hosts.Offer(c.Request.Context(), host.ID)
	}
	p := h.adminPage(c, title, data)
	p.Errors = fe
	return p
}

func (h *Handler) adminHostNew(c *gin.Context) {
	h.render(c, http.StatusOK, "admin_host", h.adminHostPage(c, nil, onboarding.NewHostForm(), nil))
}

func (h *Handler) adminHostCreate(c *gin.Context) {
	f := &onboarding.HostForm{}
	if err := c.ShouldBindWith(f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	// The audit line commits with the host.
	ctx, u := c.Request.Context(), userOf(c)
	id, fe, err := h.Onboarding.CreateHost(ctx, u, f, func(id string) database.Then {
		return h.Accounts.RecordIn(ctx, u, accounts.ActionHostCreated, id, "", f.Slug)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	if len(fe) > 0 {
		h.render(c, http.StatusBadRequest, "admin_host", h.adminHostPage(c, nil, f, fe))
		return
	}
	h.linkChatons(c, id)
	redirect(c, "/staff/admin/hosts/"+id, "host_saved")
}

func (h *Handler) adminHostEdit(c *gin.Context) {
	host, err := h.Onboarding.GetHost(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_host", h.adminHostPage(c, host, host.Form(), nil))
}

func (h *Handler) adminHostUpdate(c *gin.Context) {
	ctx := c.Request.Context()
	host, err := h.Onboarding.GetHost(ctx, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	f := &onboarding.HostForm{}
	if err := c.ShouldBindWith(f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	// The audit line commits with the change.
	fe, err := h.Onboarding.UpdateHost(ctx, userOf(c), host.ID, f, h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionHostUpdated, host.ID, "", host.Slug))
	if err != nil {
		h.fail(c, err)
		return
	}
	if len(fe) > 0 {
		h.render(c, http.StatusBadRequest, "admin_host", h.adminHostPage(c, host, f, fe))
		return
	}
	redirect(c, "/staff/admin/hosts/"+host.ID, "host_saved")
}

// adminHostPause closes a host to new requests ("registration full") or
// opens it again.
func (h *Handler) adminHostPause(paused bool) gin.HandlerFunc {
	action, notice := accounts.ActionHostResumed, "host_resumed"
	if paused {
		action, notice = accounts.ActionHostPaused, "host_paused"
	}
	return func(c *gin.Context) {
		id, ctx := c.Param("id"), c.Request.Context()
		// The audit line commits with the change.
		if err := h.Onboarding.SetHostPaused(ctx, userOf(c), id, paused, h.Accounts.RecordIn(ctx, userOf(c), action, id, "", "")); err != nil {
			h.fail(c, err)
			return
		}
		redirect(c, "/staff/admin/hosts/"+id, notice)
	}
}

// AdminConnectionPage is a host's Nextcloud connection form and, after a
// test, its report. The app password is never part of it.
type AdminConnectionPage struct {
	Host   *onboarding.HostProfile
	Form   *onboarding.Connection
	Report *provisioning.CheckReport
}

func (h *Handler) adminConnectionPage(c *gin.Context, host *onboarding.HostProfile, f *onboarding.Connection) Page {
	if f == nil {
		f = &onboarding.Connection{URL: host.NextcloudURL, User: host.NextcloudUser, Credential: h.hostCredential(c, host.ID)}
	}
	return h.adminPage(c, "admin.connection.title", &AdminConnectionPage{Host: host, Form: f})
}

func (h *Handler) adminConnection(c *gin.Context) {
	host, err := h.Onboarding.GetHost(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_connection", h.adminConnectionPage(c, host, nil))
}

// adminConnectionSave stores the URL, account and app password; the
// password is sealed at once and never shown, logged or echoed back.
func (h *Handler) adminConnectionSave(c *gin.Context) {
	ctx := c.Request.Context()
	host, err := h.Onboarding.GetHost(ctx, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	f := &onboarding.Connection{}
	if err := c.ShouldBindWith(f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	password := c.PostForm("nc_password")
	if fe := f.Validate(password); len(fe) > 0 {
		p := h.adminConnectionPage(c, host, f)
		p.Errors = fe
		h.render(c, http.StatusBadRequest, "admin_connection", p)
		return
	}
	// The audit line commits with the connection.
	if err := h.Hosts.SetConnection(ctx, userOf(c), host.ID, f.URL, f.User, password, provisioning.Credential(f.Credential),
		h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionHostConnectionSaved, host.ID, "", f.User+" @ "+f.URL)); err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			h.fail(c, err)
			return
		}
		p := h.adminConnectionPage(c, host, f)
		p.FormError = apperr.KeyOf(err)
		h.render(c, statusOf(apperr.CodeOf(err)), "admin_connection", p)
		return
	}
	redirect(c, "/staff/admin/hosts/"+host.ID+"/connection", "connection_saved")
}

// adminConnectionCheck runs the connection test with the stored secret and
// shows its report.
func (h *Handler) adminConnectionCheck(c *gin.Context) {
	ctx := c.Request.Context()
	host, err := h.Onboarding.GetHost(ctx, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	p := h.adminConnectionPage(c, host, nil)
	report, err := h.Hosts.CheckHost(ctx, host.ID)
	switch {
	case errors.Is(err, apperr.ErrInvalid) || errors.Is(err, apperr.ErrUnavailable):
		p.FormError = apperr.KeyOf(err)
		h.adminRecord(c, accounts.ActionHostChecked, host.ID, "", p.FormError)
		h.render(c, http.StatusOK, "admin_connection", p)
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	p.Data.(*AdminConnectionPage).Report = &report
	outcome := "ready"
	if report.Problem != "" {
		outcome = report.Problem
	}
	h.adminRecord(c, accounts.ActionHostChecked, host.ID, "", outcome)
	h.render(c, http.StatusOK, "admin_connection", p)
}

// hostCredential reads what the stored secret of a host is, app password
// when unknown.
func (h *Handler) hostCredential(c *gin.Context, hostID string) string {
	if ph, err := h.Hosts.Get(c.Request.Context(), hostID); err == nil && ph.Credential.Valid() {
		return string(ph.Credential)
	}
	return string(provisioning.CredentialAppPassword)
}
