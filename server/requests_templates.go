package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

// DeclineTemplatesPage is the data of the page where a host's decline
// templates are written, in each language.
type DeclineTemplatesPage struct {
	HostID    string
	HostName  string
	Hosts     []onboarding.Host // administrators choose the host
	Templates []onboarding.DeclineTemplate
	Form      onboarding.DeclineTemplate // ID set when editing one
	Languages []string
}

// templatesHost returns the host whose templates the user works on: its
// own, or for an administrator the one named by the form or query ("" when
// none is chosen yet). An unknown host is "not found".
func (h *Handler) templatesHost(c *gin.Context, named string) (id, name string, ok bool) {
	u := userOf(c)
	if !canDecide(u) {
		h.notFound(c)
		return "", "", false
	}
	if !u.Admin() {
		named = u.HostID
	}
	if named == "" {
		return "", "", true
	}
	host, err := h.Hosts.Get(c.Request.Context(), named)
	if errors.Is(err, apperr.ErrNotFound) {
		h.notFound(c)
		return "", "", false
	}
	if err != nil {
		h.fail(c, err)
		return "", "", false
	}
	return host.ID, host.Name, true
}

func (h *Handler) templatesData(c *gin.Context, hostID, hostName string, form *onboarding.DeclineTemplate) (Page, error) {
	ctx := c.Request.Context()
	dp := &DeclineTemplatesPage{HostID: hostID, HostName: hostName, Languages: onboarding.TemplateLanguages}
	if userOf(c).Admin() {
		hosts, err := h.Onboarding.QueueHosts(ctx)
		if err != nil {
			return Page{}, err
		}
		dp.Hosts = hosts
	}
	if hostID != "" {
		list, err := h.Onboarding.DeclineTemplates(ctx, hostID, "")
		if err != nil {
			return Page{}, err
		}
		dp.Templates = list
	}
	switch {
	case form != nil:
		dp.Form = *form
	case c.Query("edit") != "" && hostID != "":
		t, err := h.Onboarding.DeclineTemplate(ctx, hostID, c.Query("edit"))
		if err != nil {
			return Page{}, err
		}
		dp.Form = *t
	default:
		dp.Form.Language = langOf(c)
	}
	return h.page(c, "req.templates.title", dp), nil
}

func (h *Handler) declineTemplates(c *gin.Context) {
	hostID, hostName, ok := h.templatesHost(c, c.Query("host"))
	if !ok {
		return
	}
	p, err := h.templatesData(c, hostID, hostName, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "requests_decline_templates", p)
}

// templatesPath is the templates page of a host, as an administrator or
// staff reach it.
func templatesPath(c *gin.Context, hostID string) string {
	if userOf(c).Admin() {
		return "/staff/decline-templates?host=" + hostID
	}
	return "/staff/decline-templates"
}

func (h *Handler) declineTemplateSave(c *gin.Context) {
	hostID, hostName, ok := h.templatesHost(c, c.PostForm("host"))
	if !ok {
		return
	}
	if hostID == "" {
		h.notFound(c)
		return
	}
	var t onboarding.DeclineTemplate
	if err := c.ShouldBindWith(&t, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	t.ID, t.HostID = c.PostForm("id"), hostID
	if fe := t.Validate(); len(fe) > 0 {
		p, err := h.templatesData(c, hostID, hostName, &t)
		if err != nil {
			h.fail(c, err)
			return
		}
		p.Errors = fe
		h.render(c, http.StatusBadRequest, "requests_decline_templates", p)
		return
	}
	// The audit line commits with the template.
	ctx, u := c.Request.Context(), userOf(c)
	if err := h.Onboarding.SaveDeclineTemplate(ctx, u, &t, h.Accounts.RecordIn(ctx, u, accounts.ActionDeclineTemplateSaved, hostID, "", t.Language+" "+t.Name)); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, templatesPath(c, hostID))
}

func (h *Handler) declineTemplateDelete(c *gin.Context) {
	hostID, _, ok := h.templatesHost(c, c.PostForm("host"))
	if !ok {
		return
	}
	if hostID == "" {
		h.notFound(c)
		return
	}
	// The audit line commits with the deletion.
	ctx, u := c.Request.Context(), userOf(c)
	if err := h.Onboarding.DeleteDeclineTemplate(ctx, u, hostID, c.Param("tid"), h.Accounts.RecordIn(ctx, u, accounts.ActionDeclineTemplateDelete, hostID, "", c.Param("tid"))); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, templatesPath(c, hostID))
}
