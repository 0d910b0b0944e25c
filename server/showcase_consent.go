package server

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"archipel/apperr"
	"archipel/onboarding"
	"archipel/training"
)

// ShowcaseConsentPage is the data of the association's consent page, opened by
// the private link of its e-mail.
type ShowcaseConsentPage struct {
	Entry   *training.ShowcaseEntry
	Action  string // the link's path, where the form posts
	Quote   string // the quote as typed
	Version int    // the version of the text shown, which the consent is about
	Logo    template.URL
	Licence training.Licence
}

// showcaseNotices are the notices the showcase's redirects may ask a page
// to show (validNotice belongs to the request pages).
var showcaseNotices = map[string]bool{"showcase_given": true, "showcase_refused": true, "showcase_withdrawn": true,
	"showcase_saved": true, "showcase_reconsent": true, "showcase_logo_saved": true, "showcase_logo_removed": true, "showcase_asked": true}

// showcasePage is page() with the showcase's notices.
func (h *Handler) showcasePage(c *gin.Context, title string, data any) Page {
	p := h.page(c, title, data)
	if n := c.Query("notice"); showcaseNotices[n] {
		p.Flash = "notice." + n
	}
	return p
}

// showcaseLogoData is a logo as a data: URL, for the private previews (the public
// pages link to /showcase/logo/:id.png instead). The bytes are our own
// re-encoded PNG, never what was uploaded.
func showcaseLogoData(e *training.ShowcaseEntry) template.URL {
	if e == nil || len(e.Logo) == 0 {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.Logo))
}

func (h *Handler) consentPage(c *gin.Context) {
	e, _, err := h.Showcase.ByLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderConsent(c, http.StatusOK, e, e.Text.Quote, nil, "")
}

func (h *Handler) renderConsent(c *gin.Context, status int, e *training.ShowcaseEntry, quote string, fe onboarding.FieldErrors, formError string) {
	p := h.showcasePage(c, "showcase.consent.title", &ShowcaseConsentPage{Entry: e, Action: c.Request.URL.Path, Quote: quote,
		Version: e.Version, Logo: showcaseLogoData(e), Licence: training.ShowcaseLicence})
	p.Errors, p.FormError = fe, formError
	h.render(c, status, "showcase_consent", p)
}

// consentDecide records the association's decision: consent (with its
// quote as it rewrote it), refusal or withdrawal.
func (h *Handler) consentDecide(c *gin.Context) {
	ctx := c.Request.Context()
	token := c.Param("token")
	version, _ := strconv.Atoi(c.PostForm("version"))
	quote := c.PostForm("showcase_quote")
	decision := c.PostForm("decision")
	var err error
	switch decision {
	case "give":
		_, err = h.Showcase.Consent(ctx, token, version, quote)
	case "refuse":
		_, err = h.Showcase.Refuse(ctx, token, version)
	case "withdraw":
		_, err = h.Showcase.Withdraw(ctx, token)
	default:
		err = apperr.New(apperr.Invalid, "error.invalid", "server: consent decision")
	}
	if err == nil {
		notice := map[string]string{"give": "showcase_given", "refuse": "showcase_refused", "withdraw": "showcase_withdrawn"}[decision]
		redirect(c, c.Request.URL.Path, notice)
		return
	}
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		h.fail(c, err)
		return
	}
	// The page comes back with what the association typed; after a
	// conflict, with the text as it now stands, to be read again.
	e, _, lerr := h.Showcase.ByLink(ctx, token)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	if code == apperr.Invalid && decision == "give" {
		h.renderConsent(c, http.StatusBadRequest, e, quote, onboarding.FieldErrors{{Field: "showcase_quote", Key: apperr.KeyOf(err)}}, "")
		return
	}
	h.renderConsent(c, statusOf(code), e, quote, nil, apperr.KeyOf(err))
}
