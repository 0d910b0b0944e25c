package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

// NotificationsPage is a staff account's choice of what it is told, how,
// and in which language.
type NotificationsPage struct {
	Kinds      []string
	Deliveries []string
	Languages  []string
	Language   string
	Prefs      accounts.Preferences
}

// Of is the delivery chosen for a kind, as the form's value.
func (p *NotificationsPage) Of(kind string) string { return string(p.Prefs.Of(accounts.Kind(kind))) }

// Field is the form field of a kind.
func (p *NotificationsPage) Field(kind string) string { return "notify_" + kind }

// NewNotificationsPage is the page showing prefs and lang.
func NewNotificationsPage(lang string, prefs accounts.Preferences) *NotificationsPage {
	p := &NotificationsPage{Languages: accounts.Languages, Language: lang, Prefs: prefs}
	for _, k := range accounts.Kinds {
		p.Kinds = append(p.Kinds, string(k))
	}
	for _, d := range accounts.Deliveries {
		p.Deliveries = append(p.Deliveries, string(d))
	}
	return p
}

func (h *Handler) notifications(c *gin.Context) {
	u := userOf(c)
	prefs, err := h.Accounts.Preferences(c.Request.Context(), u)
	if err != nil {
		h.fail(c, err)
		return
	}
	p := h.page(c, "notify.prefs.title", NewNotificationsPage(u.Language, prefs))
	if c.Query("notice") == "notify_saved" {
		p.Flash = "notice.notify_saved"
	}
	h.render(c, http.StatusOK, "staff_notifications", p)
}

func (h *Handler) notificationsSave(c *gin.Context) {
	u := userOf(c)
	f := accounts.PreferencesForm{Language: c.PostForm("user_language"), Delivery: map[accounts.Kind]accounts.Delivery{}}
	for _, k := range accounts.Kinds {
		if v := c.PostForm("notify_" + string(k)); v != "" {
			f.Delivery[k] = accounts.Delivery(v)
		}
	}
	err := h.Accounts.SavePreferences(c.Request.Context(), u, f)
	if apperr.CodeOf(err) == apperr.Invalid {
		field := "user_language"
		if apperr.KeyOf(err) != "err.notify.language" {
			field = "notify_" + string(accounts.Kinds[0])
		}
		p := h.page(c, "notify.prefs.title", NewNotificationsPage(f.Language, accounts.Preferences(f.Delivery)))
		p.Errors = onboarding.FieldErrors{{Field: field, Key: apperr.KeyOf(err)}}
		h.render(c, http.StatusBadRequest, "staff_notifications", p)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	redirect(c, "/staff/notifications", "notify_saved")
}
