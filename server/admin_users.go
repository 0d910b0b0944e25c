package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
)

// InviteForm is the administrator's form inviting a staff account.
type InviteForm struct {
	Email    string `form:"user_email"`
	Name     string `form:"user_name"`
	Role     string `form:"user_role"`
	HostID   string `form:"user_host"`
	Language string `form:"user_language"`
}

// AdminUsersPage is the list of staff accounts and the invitation form.
type AdminUsersPage struct {
	Users     []accounts.User
	Hosts     []onboarding.HostProfile
	Form      *InviteForm
	Roles     []string
	Languages []string
}

// HostName is the name of one of the page's hosts, or its id if it is gone.
func (p *AdminUsersPage) HostName(id string) string { return adminHostName(p.Hosts, id) }

func adminHostName(hosts []onboarding.HostProfile, id string) string {
	for _, h := range hosts {
		if h.ID == id {
			return h.Name
		}
	}
	return id
}

var adminRoleNames = func() []string {
	var out []string
	for _, r := range accounts.Roles {
		out = append(out, string(r))
	}
	return out
}()

// adminInviteFields maps accounts' field names to the form's, in form order.
var adminInviteFields = []struct{ account, form string }{
	{"email", "user_email"}, {"name", "user_name"}, {"role", "user_role"}, {"host", "user_host"},
}

func (h *Handler) adminUsersPage(c *gin.Context, f *InviteForm, fe onboarding.FieldErrors) (Page, error) {
	ctx := c.Request.Context()
	users, err := h.Accounts.List(ctx, userOf(c))
	if err != nil {
		return Page{}, err
	}
	hosts, err := h.Onboarding.ListHosts(ctx)
	if err != nil {
		return Page{}, err
	}
	if f == nil {
		f = &InviteForm{Role: string(accounts.RoleStaff), Language: "fr"}
	}
	p := h.adminPage(c, "admin.users.title", &AdminUsersPage{Users: users, Hosts: hosts, Form: f, Roles: adminRoleNames, Languages: []string{"fr", "en"}})
	p.Errors = fe
	return p, nil
}

func (h *Handler) adminUsers(c *gin.Context) {
	p, err := h.adminUsersPage(c, nil, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_users", p)
}

// adminInvite creates an account without password and e-mails it an
// invitation link to choose one.
func (h *Handler) adminInvite(c *gin.Context) {
	ctx := c.Request.Context()
	f := &InviteForm{}
	if err := c.ShouldBindWith(f, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	f.Name, f.HostID = strings.TrimSpace(f.Name), strings.TrimSpace(f.HostID)
	nu := accounts.NewUser{Email: f.Email, Name: f.Name, Role: accounts.Role(f.Role), HostID: f.HostID, Language: f.Language}
	errs := nu.Validate()
	var fe onboarding.FieldErrors
	for _, m := range adminInviteFields {
		if key, ok := errs[m.account]; ok {
			fe = append(fe, onboarding.FieldError{Field: m.form, Key: key})
		}
	}
	refuse := func(fe onboarding.FieldErrors) {
		p, err := h.adminUsersPage(c, f, fe)
		if err != nil {
			h.fail(c, err)
			return
		}
		h.render(c, http.StatusBadRequest, "admin_users", p)
	}
	if len(fe) > 0 {
		refuse(fe)
		return
	}
	if nu.HostID != "" {
		if _, err := h.Onboarding.GetHost(ctx, nu.HostID); apperr.CodeOf(err) == apperr.NotFound {
			refuse(onboarding.FieldErrors{{Field: "user_host", Key: "err.choice"}})
			return
		} else if err != nil {
			h.fail(c, err)
			return
		}
	}
	// The account, its invitation link, the e-mail and the audit line
	// commit together.
	_, err := h.Accounts.Invite(ctx, nu, h.staffLinkMail(ctx, "staff_invite", "/staff/invitation/"),
		func(u *accounts.User) database.Then {
			return h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionUserInvited, u.HostID, "", u.Email+" ("+string(u.Role)+")")
		})
	if apperr.CodeOf(err) == apperr.Conflict {
		refuse(onboarding.FieldErrors{{Field: "user_email", Key: "err.staff.exists"}})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/admin/users", "invited")
}

// adminReinvite sends a fresh invitation to an account that never chose
// its password (the first link expired or got lost).
func (h *Handler) adminReinvite(c *gin.Context) {
	u, err := h.Accounts.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	if u.HasPassword || !u.Active {
		h.renderError(c, http.StatusConflict, "err.user.not_invitable")
		return
	}
	ctx := c.Request.Context()
	err = h.Accounts.SendLink(ctx, u, accounts.PurposeInvite, h.staffLinkMail(ctx, "staff_invite", "/staff/invitation/"),
		h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionUserReinvited, u.HostID, "", u.Email))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.Postman.Wake()
	redirect(c, "/staff/admin/users", "reinvited")
}

// adminUserActive disables an account (its sessions end) or enables it
// again. Administrators cannot disable themselves: nobody might be left to
// undo it.
func (h *Handler) adminUserActive(active bool) gin.HandlerFunc {
	action, notice := accounts.ActionUserEnabled, "enabled"
	if !active {
		action, notice = accounts.ActionUserDisabled, "user_disabled"
	}
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		u, err := h.Accounts.Get(ctx, c.Param("id"))
		if err != nil {
			h.fail(c, err)
			return
		}
		if !active && u.ID == userOf(c).ID {
			h.renderError(c, http.StatusConflict, "err.user.self_disable")
			return
		}
		// The audit line commits with the change.
		if err := h.Accounts.SetActive(ctx, userOf(c), u.ID, active, h.Accounts.RecordIn(ctx, userOf(c), action, u.HostID, "", u.Email)); err != nil {
			h.fail(c, err)
			return
		}
		redirect(c, "/staff/admin/users", notice)
	}
}

// AdminAuditPage is the audit log, filtered by host.
type AdminAuditPage struct {
	Entries []AuditLine
	Hosts   []onboarding.HostProfile
	HostID  string
}

// HostName is the name of a host of the page, or its id if it is gone.
func (p *AdminAuditPage) HostName(id string) string { return adminHostName(p.Hosts, id) }

func (h *Handler) adminAudit(c *gin.Context) {
	ctx := c.Request.Context()
	hosts, err := h.Onboarding.ListHosts(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	hostID := strings.TrimSpace(c.Query("host"))
	entries, err := h.Accounts.Audit(ctx, accounts.AuditFilter{HostID: hostID, Limit: 500})
	if err != nil {
		h.fail(c, err)
		return
	}
	rd, err := h.newReadable(ctx, langOf(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	var ids []string
	for _, e := range entries {
		if e.ApplicationID != "" {
			ids = append(ids, e.ApplicationID)
		}
	}
	names, err := h.Onboarding.Names(ctx, ids)
	if err != nil {
		h.fail(c, err)
		return
	}
	lines := make([]AuditLine, 0, len(entries))
	for _, e := range entries {
		lines = append(lines, AuditLine{Entry: e, Who: rd.actor(e.ActorEmail), What: rd.auditAction(e.Action), Text: rd.auditDetail(e),
			RequestName: names[e.ApplicationID]})
	}
	h.render(c, http.StatusOK, "admin_audit", h.adminPage(c, "admin.audit.title", &AdminAuditPage{Entries: lines, Hosts: hosts, HostID: hostID}))
}
