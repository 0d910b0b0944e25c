package server

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"

	"archipel/templates"
	"archipel/training"
)

const (
	ctxLang    = "archipel.lang"
	langCookie = "archipel_lang"
)

// contentSecurityPolicy allows nothing from another origin and no inline
// script or style.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (h *Handler) securityHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	if h.opts.Secure {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// uploadLimits are the routes that take more than a form: an upload and
// the form around it.
var uploadLimits = map[string]int64{
	"/staff/cases/:id/showcase/logo": training.MaxLogoBytes + 64<<10,
}

// bodyLimit refuses request bodies larger than n bytes (or the route's own
// upload limit): at once when the announced length says so (handlers that
// read no form would not notice), and while reading otherwise.
func (h *Handler) bodyLimit(def int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		n := def
		if l, ok := uploadLimits[c.FullPath()]; ok {
			n = l
		}
		if c.Request.ContentLength > n {
			h.renderError(c, http.StatusRequestEntityTooLarge, "error.too_large")
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}

// language picks the page language: ?lang=, then the cookie, then
// Accept-Language; an explicit choice is remembered in a cookie.
func (h *Handler) language(c *gin.Context) {
	lang := templates.Lang(c.Query("lang"))
	if lang != "" {
		h.setCookie(c, langCookie, lang, 365*24*3600)
	} else if v, err := c.Cookie(langCookie); err == nil {
		lang = templates.Lang(v)
	}
	if lang == "" {
		lang = h.Templates.Match(c.GetHeader("Accept-Language"))
	}
	c.Set(ctxLang, lang)
	c.Header("Content-Language", lang)
	c.Header("Vary", "Accept-Language, Cookie")
	c.Next()
}

func langOf(c *gin.Context) string {
	if l, ok := c.Get(ctxLang); ok {
		return l.(string)
	}
	return templates.Languages[0]
}

func (h *Handler) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.opts.Secure, SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) recoverer(c *gin.Context) {
	defer func() {
		if rec := recover(); rec != nil {
			if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(rec)
			}
			h.Logger.Error("panic serving request", slog.Any("panic", rec), slog.String("path", loggedPath(c)),
				slog.String("stack", string(debug.Stack())))
			h.renderError(c, http.StatusInternalServerError, "error.internal")
		}
	}()
	c.Next()
}
