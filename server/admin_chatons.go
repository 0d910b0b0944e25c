package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

func init() {
	for _, n := range []string{"chatons_read", "chatons_failed", "chatons_removed", "chatons_paused", "chatons_resumed"} {
		adminNotices[n] = true
	}
}

// adminChatonsRoutes are the administrator's ChatonsInfos actions on a host.
func (h *Handler) adminChatonsRoutes(g *gin.RouterGroup) {
	if h.Chatons == nil {
		return
	}
	g.POST("/hosts/new/chatonsinfos", h.adminHostPrefill)
	g.POST("/hosts/:id/chatonsinfos", h.adminChatonsRead)
	g.POST("/hosts/:id/chatonsinfos/remove", h.adminChatonsRemove)
}

// adminHostPrefill reads a pasted organization file and shows the new
// host's form filled from it (nothing saved yet; the address rides along
// in the form and is linked when the host is created).
func (h *Handler) adminHostPrefill(c *gin.Context) {
	cf := &onboarding.ChatonsForm{}
	if err := c.ShouldBindWith(cf, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	form := onboarding.NewHostForm()
	if fe := cf.Validate(); len(fe) > 0 {
		p := h.adminHostPage(c, nil, form, fe)
		p.Data.(*AdminHostPage).ChatonsURL = cf.URL
		h.render(c, http.StatusBadRequest, "admin_host", p)
		return
	}
	reading, err := h.Chatons.Preview(c.Request.Context(), cf.URL)
	if err != nil && apperr.CodeOf(err) != apperr.Unavailable {
		h.fail(c, err)
		return
	}
	if err != nil {
		p := h.adminHostPage(c, nil, form, onboarding.FieldErrors{{Field: "chatons_url", Key: apperr.KeyOf(err)}})
		p.Data.(*AdminHostPage).ChatonsURL = cf.URL
		h.render(c, http.StatusUnprocessableEntity, "admin_host", p)
		return
	}
	onboarding.PrefillHostForm(form, reading.Organization)
	p := h.adminHostPage(c, nil, form, nil)
	p.Flash = "admin.notice.chatons_prefilled"
	data := p.Data.(*AdminHostPage)
	data.ChatonsURL, data.Preview = cf.URL, reading.Organization
	h.render(c, http.StatusOK, "admin_host", p)
}

// linkChatons links a just-created host to the file its form was filled
// from and reads it; a failure is recorded and shown on the host's page.
func (h *Handler) linkChatons(c *gin.Context, hostID string) {
	if h.Chatons == nil {
		return
	}
	cf := &onboarding.ChatonsForm{URL: c.PostForm("chatons_url")}
	if cf.URL == "" || len(cf.Validate()) > 0 {
		return
	}
	ctx := c.Request.Context()
	// The host's creation has its audit line already.
	if err := h.Onboarding.SetHostChatonsURL(ctx, userOf(c), hostID, cf.URL); err != nil {
		h.Logger.Error("chatonsinfos: link", "err", err)
		return
	}
	if _, err := h.Chatons.Read(ctx, hostID); err != nil {
		h.Logger.Error("chatonsinfos: read", "err", err)
	}
}

// adminChatonsRead links a host to its organization file (or keeps the
// link) and reads it now.
func (h *Handler) adminChatonsRead(c *gin.Context) {
	ctx := c.Request.Context()
	host, err := h.Onboarding.GetHost(ctx, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	cf := &onboarding.ChatonsForm{}
	if err := c.ShouldBindWith(cf, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	if fe := cf.Validate(); len(fe) > 0 {
		p := h.adminHostPage(c, host, host.Form(), fe)
		p.Data.(*AdminHostPage).ChatonsURL = cf.URL
		h.render(c, http.StatusBadRequest, "admin_host", p)
		return
	}
	// The audit line commits with the link; what the reading found is
	// recorded with the host's file.
	if err := h.Onboarding.SetHostChatonsURL(ctx, userOf(c), host.ID, cf.URL,
		h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionHostChatonsInfosRead, host.ID, "", cf.URL)); err != nil {
		h.fail(c, err)
		return
	}
	change, err := h.Chatons.Read(ctx, host.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	notice := "chatons_read"
	switch {
	case change.Paused:
		notice = "chatons_paused"
	case change.Resumed:
		notice = "chatons_resumed"
	default:
		if ci, err := h.Onboarding.HostChatonsInfos(ctx, host.ID); err == nil && ci.Failing() {
			notice = "chatons_failed"
		}
	}
	redirect(c, "/staff/admin/hosts/"+host.ID, notice)
}

// adminChatonsRemove unlinks a host from its organization file.
func (h *Handler) adminChatonsRemove(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.Onboarding.GetHost(c.Request.Context(), id); err != nil {
		h.fail(c, err)
		return
	}
	// The audit line commits with the unlinking.
	ctx := c.Request.Context()
	if err := h.Onboarding.SetHostChatonsURL(ctx, userOf(c), id, "", h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionHostChatonsInfosRemov, id, "", "")); err != nil {
		h.fail(c, err)
		return
	}
	redirect(c, "/staff/admin/hosts/"+id, "chatons_removed")
}

// hostChatons is a host's linked file and its address, or nothing.
func (h *Handler) hostChatons(c *gin.Context, hostID string) (*onboarding.HostChatonsInfos, string) {
	ci, err := h.Onboarding.HostChatonsInfos(c.Request.Context(), hostID)
	if err != nil {
		if apperr.CodeOf(err) != apperr.NotFound {
			h.Logger.Error("chatonsinfos: host page", "err", err)
		}
		return nil, ""
	}
	return ci, ci.URL
}
