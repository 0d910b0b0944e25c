package server

import (
	"database/sql"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/training"
)

// ShowcaseStaffPage is the data of the page where staff and trainers draft
// a case's showcase entry and ask the association's consent.
type ShowcaseStaffPage struct {
	Case         *training.Case
	Entry        *training.ShowcaseEntry // nil until the first save
	Eligible     bool                    // the case closed as a success
	Form         *training.ShowcaseText
	Version      int // the version the form is based on
	Departements []onboarding.Departement
	Services     []string
	Consents     []training.ShowcaseConsent
	Logo         template.URL
	LogoMaxKB    int
	LogoMaxSide  int
}

// Action is the page's path, where its forms post.
func (p *ShowcaseStaffPage) Action() string { return "/staff/cases/" + p.Case.ID + "/showcase" }

// showcaseCase returns the case of the URL if the signed-in user may see its
// host; any other answers "not found", as if it did not exist.
func (h *Handler) showcaseCase(c *gin.Context) (*training.Case, bool) {
	cs, err := h.Showcase.Case(c.Request.Context(), userOf(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return cs, true
}

// showcaseEntryOf is the case's entry, nil when none was drafted yet.
func (h *Handler) showcaseEntryOf(c *gin.Context, cs *training.Case) (*training.ShowcaseEntry, bool) {
	e, err := h.Showcase.ForCase(c.Request.Context(), cs.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, true
	}
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return e, true
}

// renderShowcaseStaff shows the page; form is what was typed, nil for the
// entry as stored (or the draft taken from the case).
func (h *Handler) renderShowcaseStaff(c *gin.Context, status int, cs *training.Case, form *training.ShowcaseText, fe onboarding.FieldErrors, formError string) {
	e, ok := h.showcaseEntryOf(c, cs)
	if !ok {
		return
	}
	sp := &ShowcaseStaffPage{Case: cs, Entry: e, Eligible: training.Eligible(cs), Form: form,
		Departements: onboarding.Departements(), Services: onboarding.Services,
		LogoMaxKB: training.MaxLogoBytes >> 10, LogoMaxSide: training.MaxLogoSide}
	if e != nil {
		sp.Version, sp.Logo = e.Version, showcaseLogoData(e)
		consents, err := h.Showcase.Consents(c.Request.Context(), e.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		sp.Consents = consents
		if sp.Form == nil {
			sp.Form = &e.Text
		}
	}
	if sp.Form == nil {
		d := training.DraftFor(cs)
		sp.Form = &d
	}
	p := h.showcasePage(c, "showcase.staff.title", sp)
	p.Errors, p.FormError = fe, formError
	h.render(c, status, "showcase_staff", p)
}

func (h *Handler) showcaseStaffPage(c *gin.Context) {
	if cs, ok := h.showcaseCase(c); ok {
		h.renderShowcaseStaff(c, http.StatusOK, cs, nil, nil, "")
	}
}

func (h *Handler) showcaseStaffSave(c *gin.Context) {
	cs, ok := h.showcaseCase(c)
	if !ok {
		return
	}
	form := &training.ShowcaseText{Association: c.PostForm("showcase_name"), Town: c.PostForm("showcase_town"),
		Departement: c.PostForm("showcase_departement"), Story: c.PostForm("showcase_story"), Quote: c.PostForm("showcase_quote"),
		Services: c.PostFormArray("showcase_services")}
	version, _ := strconv.Atoi(c.PostForm("version"))
	if fe := form.Validate(); len(fe) > 0 {
		h.renderShowcaseStaff(c, http.StatusBadRequest, cs, form, fe, "")
		return
	}
	// The audit line commits with the change.
	e, res, err := h.Showcase.Save(c.Request.Context(), userOf(c), cs, *form, version, h.showcaseAudit(c, cs, accounts.ActionShowcaseSaved))
	if err != nil {
		h.showcaseRefuse(c, cs, form, err)
		return
	}
	notice := "showcase_saved"
	if res.Reconsent {
		// The text was public: it is not any more, until the association
		// reads it again.
		if !h.showcaseAskConsent(c, cs, e, true) {
			return
		}
		notice = "showcase_reconsent"
	}
	redirect(c, "/staff/cases/"+cs.ID+"/showcase", notice)
}

// showcaseRefuse shows the page again with the form as typed and the
// reason; only unexpected errors go to the error page.
func (h *Handler) showcaseRefuse(c *gin.Context, cs *training.Case, form *training.ShowcaseText, err error) {
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict && code != apperr.Unavailable {
		h.fail(c, err)
		return
	}
	h.renderShowcaseStaff(c, statusOf(code), cs, form, nil, apperr.KeyOf(err))
}

func (h *Handler) showcaseStaffLogo(c *gin.Context) {
	cs, ok := h.showcaseCase(c)
	if !ok {
		return
	}
	refuse := func(key string, status int) {
		h.renderShowcaseStaff(c, status, cs, nil, onboarding.FieldErrors{{Field: "showcase_logo", Key: key}}, "")
	}
	fh, err := c.FormFile("showcase_logo")
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuse("err.showcase.logo_too_large", http.StatusRequestEntityTooLarge)
		return
	case errors.Is(err, http.ErrMissingFile):
		refuse("err.showcase.logo_missing", http.StatusBadRequest)
		return
	case err != nil:
		refuse("err.showcase.logo_invalid", http.StatusBadRequest)
		return
	case fh.Size > training.MaxLogoBytes:
		refuse("err.showcase.logo_too_large", http.StatusRequestEntityTooLarge)
		return
	}
	f, err := fh.Open()
	if err != nil {
		h.fail(c, err)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(f, training.MaxLogoBytes+1))
	f.Close()
	if err != nil {
		h.fail(c, err)
		return
	}
	e, ok := h.showcaseEntryOf(c, cs)
	if !ok {
		return
	}
	if e == nil {
		h.renderShowcaseStaff(c, http.StatusConflict, cs, nil, nil, "err.showcase.save_first")
		return
	}
	version, _ := strconv.Atoi(c.PostForm("version"))
	res, err := h.Showcase.SetLogo(c.Request.Context(), userOf(c), e, version, raw, h.showcaseAudit(c, cs, accounts.ActionShowcaseLogo))
	if apperr.CodeOf(err) == apperr.Invalid {
		refuse(apperr.KeyOf(err), http.StatusBadRequest)
		return
	}
	if err != nil {
		h.showcaseRefuse(c, cs, nil, err)
		return
	}
	h.showcaseAfterChange(c, cs, e, res, "showcase_logo_saved")
}

func (h *Handler) showcaseStaffLogoRemove(c *gin.Context) {
	cs, ok := h.showcaseCase(c)
	if !ok {
		return
	}
	e, ok := h.showcaseEntryOf(c, cs)
	if !ok {
		return
	}
	if e == nil {
		h.notFound(c)
		return
	}
	version, _ := strconv.Atoi(c.PostForm("version"))
	res, err := h.Showcase.RemoveLogo(c.Request.Context(), userOf(c), e, version, h.showcaseAudit(c, cs, accounts.ActionShowcaseLogoRemoved))
	if err != nil {
		h.showcaseRefuse(c, cs, nil, err)
		return
	}
	h.showcaseAfterChange(c, cs, e, res, "showcase_logo_removed")
}

// showcaseAfterChange asks the association again when a public entry changed, then
// goes back to the page.
func (h *Handler) showcaseAfterChange(c *gin.Context, cs *training.Case, e *training.ShowcaseEntry, res training.SaveResult, notice string) {
	if res.Reconsent {
		if !h.showcaseAskConsent(c, cs, e, true) {
			return
		}
		notice = "showcase_reconsent"
	}
	redirect(c, "/staff/cases/"+cs.ID+"/showcase", notice)
}

func (h *Handler) showcaseStaffAsk(c *gin.Context) {
	cs, ok := h.showcaseCase(c)
	if !ok {
		return
	}
	e, ok := h.showcaseEntryOf(c, cs)
	if !ok {
		return
	}
	if e == nil {
		h.renderShowcaseStaff(c, http.StatusConflict, cs, nil, nil, "err.showcase.save_first")
		return
	}
	if !h.showcaseAskConsent(c, cs, e, false) {
		return
	}
	redirect(c, "/staff/cases/"+cs.ID+"/showcase", "showcase_asked")
}

// showcaseAskConsent e-mails the association, in its language, a new private link
// to read the entry and decide; false when the page was already answered
// (a refusal, or the e-mail could not be queued). The e-mail (and, when
// staff asked, the audit line) commits with the link it carries.
func (h *Handler) showcaseAskConsent(c *gin.Context, cs *training.Case, e *training.ShowcaseEntry, again bool) bool {
	ctx := c.Request.Context()
	lang := cs.Language
	if lang != "en" {
		lang = "fr"
	}
	then := []func(string) database.Then{func(token string) database.Then {
		return func(tx *sql.Tx) error {
			return h.Postman.Enqueue(ctx, tx, mail.Letter{Lang: lang, Template: "showcase_consent", To: cs.ContactEmail, ToName: cs.ContactName,
				RequestID: cs.ApplicationID,
				Data: map[string]any{"Name": e.Text.Association, "Host": e.HostName, "Again": again,
					"Link": h.opts.BaseURL + "/showcase/consent/" + token + "?lang=" + lang}})
		}
	}}
	if !again && h.Accounts != nil {
		then = append(then, func(string) database.Then {
			return h.Accounts.RecordIn(ctx, userOf(c), accounts.ActionShowcaseAsked, cs.HostID, cs.ApplicationID, e.ID)
		})
	}
	if _, err := h.Showcase.AskConsent(ctx, e, then...); err != nil {
		h.showcaseRefuse(c, cs, nil, err)
		return false
	}
	h.Postman.Wake()
	return true
}

// showcaseAudit is the audit line of a staff change to a case's entry,
// written in the change's transaction.
func (h *Handler) showcaseAudit(c *gin.Context, cs *training.Case, action accounts.Action) func(*training.ShowcaseEntry) database.Then {
	return func(e *training.ShowcaseEntry) database.Then {
		if h.Accounts == nil {
			return nil // a harness without accounts
		}
		return h.Accounts.RecordIn(c.Request.Context(), userOf(c), action, cs.HostID, cs.ApplicationID, e.ID)
	}
}
