package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
)

const (
	oidcCallback = "/staff/login/oidc/callback"
	oidcCookie   = "archipel_oidc"
)

func (h *Handler) oidcRoutes(r *gin.Engine) {
	if h.OIDC == nil {
		return
	}
	r.GET("/staff/login/oidc", h.oidcBegin)
	r.GET(oidcCallback, h.oidcFinish)
}

// oidcName is the identity provider's name for the login page, or "".
func (h *Handler) oidcName() string {
	if h.OIDC == nil {
		return ""
	}
	return h.OIDC.Name()
}

// oidcBegin sends the browser to the identity provider; the state it
// must bring back is kept in a short-lived cookie of this browser.
func (h *Handler) oidcBegin(c *gin.Context) {
	next := safeNext(c.Query("next"))
	authURL, state, err := h.OIDC.Begin(c.Request.Context(), next)
	if err != nil {
		h.oidcRefused(c, next, err)
		return
	}
	h.setCookie(c, oidcCookie, state, 600)
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, authURL)
}

// oidcFinish is where the provider sends the browser back.
func (h *Handler) oidcFinish(c *gin.Context) {
	cookieState, _ := c.Cookie(oidcCookie)
	h.setCookie(c, oidcCookie, "", -1)
	if c.Query("error") != "" { // the person cancelled, or the provider refused
		h.oidcRefused(c, "/staff", apperr.New(apperr.Forbidden, "err.oidc.cancelled", "server: oidc"))
		return
	}
	u, token, next, err := h.OIDC.Finish(c.Request.Context(), cookieState, c.Query("state"), c.Query("code"))
	if err != nil {
		h.oidcRefused(c, "/staff", err)
		return
	}
	h.setCookie(c, staffCookie, token, int(accounts.SessionMax.Seconds()))
	_ = h.Accounts.Record(c.Request.Context(), u, accounts.ActionLoginOIDC, u.HostID, "", "")
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

// oidcRefused shows the login page again with the reason.
func (h *Handler) oidcRefused(c *gin.Context, next string, err error) {
	if code := apperr.CodeOf(err); code != apperr.Forbidden && code != apperr.Unavailable {
		h.fail(c, err)
		return
	}
	h.Logger.Info("oidc sign-in refused", "reason", apperr.KeyOf(err), "err", err)
	p := h.page(c, "staff.login.title", &LoginForm{Next: next, Provider: h.oidcName()})
	p.FormError = apperr.KeyOf(err)
	status := http.StatusUnauthorized
	if apperr.CodeOf(err) == apperr.Unavailable {
		status = http.StatusServiceUnavailable
	}
	h.render(c, status, "staff_login", p)
}
