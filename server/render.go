package server

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

// Page is the data every page gets; handlers fill Data with their own.
type Page struct {
	Lang      string
	Path      string // path of the page, for the language switch
	Title     string // message ID of the title
	Flash     string // message ID of a one-time notice
	Errors    onboarding.FieldErrors
	FormError string // message ID of an error about the whole form
	Data      any
	User      *accounts.User // the signed-in staff account, on staff pages
}

// OtherLangURL is the current page in the other language.
func (p Page) OtherLangURL() string {
	other := "en"
	if p.Lang == "en" {
		other = "fr"
	}
	// A path such as "//evil.example" (a 404 page) would make the link leave
	// the site: keep a single leading slash.
	return "/" + strings.TrimLeft(p.Path, "/\\") + "?lang=" + other
}

// OtherLang is the language the switch offers.
func (p Page) OtherLang() string {
	if p.Lang == "en" {
		return "fr"
	}
	return "en"
}

// ErrorFor returns the message ID of a field's error, or "".
func (p Page) ErrorFor(field string) string { return p.Errors.For(field) }

// page builds the data every page needs.
func (h *Handler) page(c *gin.Context, title string, data any) Page {
	p := Page{Lang: langOf(c), Path: c.Request.URL.Path, Title: title, Data: data, User: userOf(c)}
	if f := c.Query("notice"); f != "" && validNotice[f] {
		p.Flash = "notice." + f
	}
	return p
}

// validNotice lists the notices a redirect may ask a page to show.
var validNotice = map[string]bool{"link_sent": true, "saved": true, "verified": true, "withdrawn": true, "submitted": true, "link_resent": true,
	"password_set": true, "host_saved": true, "connection_saved": true, "invited": true, "approved": true, "declined": true,
	"info_requested": true, "interview_planned": true, "transferred": true, "note_added": true, "retried": true, "cancelled": true,
	"disabled": true, "notes_saved": true, "reschedule_requested": true, "followed": true, "unfollowed": true}

// render writes a page with a status code; a template error becomes a 500
// without half a page sent.
func (h *Handler) render(c *gin.Context, status int, name string, p Page) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	var buf bytes.Buffer
	if err := h.Templates.Render(&buf, p.Lang, name, p); err != nil {
		h.Logger.Error("render page", slog.String("page", name), slog.Any("err", err))
		c.Status(http.StatusInternalServerError)
		_, _ = c.Writer.WriteString(h.Templates.MustT(p.Lang, "error.internal"))
		return
	}
	c.Status(status)
	_, _ = c.Writer.Write(buf.Bytes())
}

// renderStatic writes a page that holds nothing of its visitor (the
// landing, the privacy page, the empty first step of the sign-up): the
// first rendering of each page in each language is kept and written again,
// since a template costs far more than a copy. A page asked with a query
// string (a notice, a return link) is rendered every time.
func (h *Handler) renderStatic(c *gin.Context, name string, p Page) {
	if c.Request.URL.RawQuery != "" || p.User != nil || p.Flash != "" || len(p.Errors) > 0 {
		h.render(c, http.StatusOK, name, p)
		return
	}
	key := name + "\x00" + p.Lang + "\x00" + p.Path
	body, ok := h.static.Load(key)
	if !ok {
		var buf bytes.Buffer
		if err := h.Templates.Render(&buf, p.Lang, name, p); err != nil {
			h.render(c, http.StatusOK, name, p) // logs it and answers 500
			return
		}
		body, _ = h.static.LoadOrStore(key, buf.Bytes())
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body.([]byte))
}

// statusOf maps an error code to an HTTP status, in one place.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail shows the error page for err; only internal errors are logged with
// their cause.
func (h *Handler) fail(c *gin.Context, err error) {
	code := apperr.CodeOf(err)
	var me *http.MaxBytesError
	if errors.As(err, &me) {
		h.renderError(c, http.StatusRequestEntityTooLarge, "error.too_large")
		return
	}
	if code == apperr.Internal {
		h.Logger.Error("request failed", slog.String("path", loggedPath(c)), slog.Any("err", err))
		h.renderError(c, http.StatusInternalServerError, "error.internal")
		return
	}
	h.renderError(c, statusOf(code), apperr.KeyOf(err))
}

func (h *Handler) renderError(c *gin.Context, status int, key string) {
	p := h.page(c, "error.title", nil)
	p.FormError = key
	h.render(c, status, "error", p)
	c.Abort()
}

func (h *Handler) notFound(c *gin.Context) { h.renderError(c, http.StatusNotFound, "error.not_found") }

// redirect sends a 303 after a successful form (post/redirect/get).
func redirect(c *gin.Context, path string, notice string) {
	if notice != "" {
		path += "?notice=" + url.QueryEscape(notice)
	}
	c.Redirect(http.StatusSeeOther, path)
}
