package server

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/mail"
)

const (
	staffCookie = "archipel_staff"
	ctxUser     = "archipel.user"
)

// staffOnly lets a request through only with a valid staff session; others
// go to the login page, which brings them back afterwards.
func (h *Handler) staffOnly(c *gin.Context) {
	token, _ := c.Cookie(staffCookie)
	u, err := h.Accounts.Session(c.Request.Context(), token)
	if err != nil {
		if !errors.Is(err, apperr.ErrNotFound) {
			h.fail(c, err)
			return
		}
		next := c.Request.URL.RequestURI()
		if c.Request.Method != http.MethodGet {
			next = "/staff"
		}
		c.Redirect(http.StatusSeeOther, "/staff/login?next="+url.QueryEscape(next))
		c.Abort()
		return
	}
	c.Set(ctxUser, u)
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// adminOnly refuses anyone but administrators, as if the page did not exist.
func (h *Handler) adminOnly(c *gin.Context) {
	if u := userOf(c); u == nil || !u.Admin() {
		h.notFound(c)
		return
	}
	c.Next()
}

// userOf returns the signed-in staff account, or nil.
func userOf(c *gin.Context) *accounts.User {
	if v, ok := c.Get(ctxUser); ok {
		return v.(*accounts.User)
	}
	return nil
}

// LoginForm is the login page's form.
type LoginForm struct {
	Email    string
	Next     string
	Provider string // the identity provider's name, when staff may sign in through it
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/staff") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/staff"
	}
	return next
}

func (h *Handler) loginPage(c *gin.Context) {
	h.render(c, http.StatusOK, "staff_login", h.page(c, "staff.login.title", &LoginForm{Next: safeNext(c.Query("next")), Provider: h.oidcName()}))
}

func (h *Handler) login(c *gin.Context) {
	f := &LoginForm{Email: strings.TrimSpace(c.PostForm("email")), Next: safeNext(c.PostForm("next")), Provider: h.oidcName()}
	u, token, err := h.Accounts.Login(c.Request.Context(), f.Email, c.PostForm("password"), c.ClientIP())
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			h.fail(c, err)
			return
		}
		p := h.page(c, "staff.login.title", f)
		p.FormError = apperr.KeyOf(err)
		status := http.StatusUnauthorized
		switch apperr.CodeOf(err) {
		case apperr.Unavailable:
			// Every password check is busy: say when to come back.
			status = http.StatusServiceUnavailable
			c.Header("Retry-After", "5")
		default:
			if p.FormError == "err.login.throttled" {
				status = http.StatusTooManyRequests
			}
		}
		h.render(c, status, "staff_login", p)
		return
	}
	h.setCookie(c, staffCookie, token, int(accounts.SessionMax.Seconds()))
	_ = h.Accounts.Record(c.Request.Context(), u, accounts.ActionLogin, u.HostID, "", "")
	c.Redirect(http.StatusSeeOther, f.Next)
}

func (h *Handler) logout(c *gin.Context) {
	if token, err := c.Cookie(staffCookie); err == nil {
		_ = h.Accounts.Logout(c.Request.Context(), token)
	}
	h.setCookie(c, staffCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/staff/login")
}

func (h *Handler) resetRequestPage(c *gin.Context) {
	h.render(c, http.StatusOK, "staff_reset_request", h.page(c, "staff.reset.title", nil))
}

// resetRequest e-mails a reset link if the address has an account; the
// answer is the same either way.
func (h *Handler) resetRequest(c *gin.Context) {
	ok, err := h.allow(c, "staff-reset", h.opts.MailsPerHour)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !ok {
		h.renderError(c, http.StatusTooManyRequests, "err.rate_limited")
		return
	}
	ctx := c.Request.Context()
	if u, err := h.Accounts.ByEmail(ctx, c.PostForm("email")); err == nil && u.Active {
		// The link and its e-mail commit together; a failure is logged
		// only, as the answer must not tell whether the account exists.
		if err := h.Accounts.SendLink(ctx, u, accounts.PurposeReset, h.staffLinkMail(ctx, "staff_reset", "/staff/reset/")); err != nil {
			h.Logger.Error("send reset link", slog.Any("err", err))
		} else {
			h.Postman.Wake()
		}
	}
	h.render(c, http.StatusOK, "staff_reset_sent", h.page(c, "staff.reset.title", nil))
}

// staffLinkMail queues the e-mail (template) carrying a staff account's
// one-time link, at prefix followed by the token, in the link's
// transaction.
func (h *Handler) staffLinkMail(ctx context.Context, template, prefix string) accounts.LinkMail {
	return func(tx *sql.Tx, u *accounts.User, token string) error {
		return h.Postman.Enqueue(ctx, tx, mail.Letter{Lang: u.Language, Template: template, To: u.Email, ToName: u.Name,
			Data: map[string]any{"Link": h.opts.BaseURL + prefix + token, "Email": u.Email, "Role": string(u.Role)}})
	}
}

// SetPasswordPage is the data of the invitation and reset pages.
type SetPasswordPage struct {
	User    *accounts.User
	Action  string
	Invite  bool
	NameVal string
}

func (h *Handler) setPasswordPage(purpose string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u, err := h.Accounts.LinkUser(c.Request.Context(), c.Param("token"), purpose)
		if err != nil {
			h.fail(c, err)
			return
		}
		c.Header("Referrer-Policy", "no-referrer")
		h.render(c, http.StatusOK, "staff_set_password", h.page(c, "staff.password.title",
			&SetPasswordPage{User: u, Action: c.Request.URL.Path, Invite: purpose == accounts.PurposeInvite, NameVal: u.Name}))
	}
}

func (h *Handler) setPassword(purpose string) gin.HandlerFunc {
	return func(c *gin.Context) {
		password := c.PostForm("password")
		if password != c.PostForm("password_confirm") {
			u, err := h.Accounts.LinkUser(c.Request.Context(), c.Param("token"), purpose)
			if err != nil {
				h.fail(c, err)
				return
			}
			p := h.page(c, "staff.password.title", &SetPasswordPage{User: u, Action: c.Request.URL.Path, Invite: purpose == accounts.PurposeInvite, NameVal: c.PostForm("name")})
			p.FormError = "err.password.mismatch"
			h.render(c, http.StatusBadRequest, "staff_set_password", p)
			return
		}
		// The account writes its audit line in the same transaction.
		_, err := h.Accounts.UseLink(c.Request.Context(), c.Param("token"), purpose, password, c.PostForm("name"))
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				h.fail(c, err)
				return
			}
			lu, lerr := h.Accounts.LinkUser(c.Request.Context(), c.Param("token"), purpose)
			if lerr != nil {
				h.fail(c, lerr)
				return
			}
			p := h.page(c, "staff.password.title", &SetPasswordPage{User: lu, Action: c.Request.URL.Path, Invite: purpose == accounts.PurposeInvite, NameVal: c.PostForm("name")})
			p.FormError = apperr.KeyOf(err)
			h.render(c, http.StatusBadRequest, "staff_set_password", p)
			return
		}
		redirect(c, "/staff/login", "password_set")
	}
}
