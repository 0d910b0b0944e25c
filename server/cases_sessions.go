package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/training"
)

// SessionFormPage is the data of the form that records or edits a session.
type SessionFormPage struct {
	Case      *training.Case
	SessionID string // empty for a new session
	Form      training.SessionForm
	Topics    []TopicOption
	Trainers  []training.Trainer
	Formats   []string
}

// Action is where the form posts.
func (p *SessionFormPage) Action() string {
	if p.SessionID != "" {
		return "/staff/cases/" + p.Case.ID + "/sessions/" + p.SessionID
	}
	return "/staff/cases/" + p.Case.ID + "/sessions"
}

func (h *Handler) sessionForm(c *gin.Context, cs *training.Case, sessionID string, form training.SessionForm) (*SessionFormPage, []training.Topic, error) {
	ctx := c.Request.Context()
	topics, err := h.Training.Topics(ctx, userOf(c), cs.HostID)
	if err != nil {
		return nil, nil, err
	}
	opts, _, err := h.topicOptions(ctx, userOf(c), langOf(c), cs.HostID)
	if err != nil {
		return nil, nil, err
	}
	trainers, err := h.Training.Trainers(ctx, cs.HostID)
	if err != nil {
		return nil, nil, err
	}
	return &SessionFormPage{Case: cs, SessionID: sessionID, Form: form, Topics: opts, Trainers: trainers, Formats: training.Formats}, topics, nil
}

func (h *Handler) caseSessionNew(c *gin.Context) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	if cs.Stage == training.StageClosed {
		h.renderError(c, http.StatusConflict, "err.case.closed")
		return
	}
	u := userOf(c)
	form := training.SessionForm{Format: string(training.FormatRemote), Minutes: "90"}
	for _, id := range cs.TrainerIDs {
		if id == u.ID {
			form.Trainer = u.ID
		}
	}
	if form.Trainer == "" && len(cs.TrainerIDs) > 0 {
		form.Trainer = cs.TrainerIDs[0]
	}
	sp, _, err := h.sessionForm(c, cs, "", form)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "cases_session", h.casePage(c, "cases.session.new_title", sp))
}

func (h *Handler) caseSessionEdit(c *gin.Context) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	s, err := h.Training.Session(c.Request.Context(), cs.ID, c.Param("sid"))
	if err != nil {
		h.fail(c, err)
		return
	}
	sp, _, err := h.sessionForm(c, cs, s.ID, training.FormOf(s))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "cases_session", h.casePage(c, "cases.session.edit_title", sp))
}

func (h *Handler) caseSessionCreate(c *gin.Context) { h.caseSessionSave(c, false) }
func (h *Handler) caseSessionUpdate(c *gin.Context) { h.caseSessionSave(c, true) }

func (h *Handler) caseSessionSave(c *gin.Context, edit bool) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	ctx := c.Request.Context()
	title, sessionID := "cases.session.new_title", ""
	if edit {
		if _, err := h.Training.Session(ctx, cs.ID, c.Param("sid")); err != nil {
			h.fail(c, err)
			return
		}
		title, sessionID = "cases.session.edit_title", c.Param("sid")
	}
	var form training.SessionForm
	if err := c.ShouldBindWith(&form, binding.Form); err != nil {
		h.fail(c, err)
		return
	}
	sp, topics, err := h.sessionForm(c, cs, sessionID, form)
	if err != nil {
		h.fail(c, err)
		return
	}
	s, fe := sp.Form.Validate(h.Training.Now(), topics, sp.Trainers)
	if len(fe) > 0 {
		p := h.casePage(c, title, sp)
		p.Errors = fe
		h.render(c, http.StatusBadRequest, "cases_session", p)
		return
	}
	// The audit line commits with the session.
	u := userOf(c)
	audit := func(action accounts.Action) func(*training.Session) database.Then {
		return func(s *training.Session) database.Then {
			return h.Accounts.RecordIn(ctx, u, action, cs.HostID, cs.ApplicationID, s.ID+" "+s.StartsAt.Format(time.RFC3339))
		}
	}
	if edit {
		s.ID = sessionID
		err = h.Training.UpdateSession(ctx, u, cs, &s, audit(accounts.ActionSessionUpdate))
	} else {
		err = h.Training.AddSession(ctx, u, cs, &s, audit(accounts.ActionSessionAdd))
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.Conflict {
			p := h.casePage(c, title, sp)
			p.FormError = apperr.KeyOf(err)
			h.render(c, http.StatusConflict, "cases_session", p)
			return
		}
		h.fail(c, err)
		return
	}
	caseRedirect(c, "/staff/cases/"+cs.ID, "session_saved")
}

// MySessionsPage is the data of a trainer's list of sessions.
type MySessionsPage struct {
	Sessions    []training.Session
	FeedURL     string // a feed just made: shown this once
	FeedCreated time.Time
}

// upcomingSpan is how far ahead the list of sessions looks.
const upcomingSpan = 90 * 24 * time.Hour

func (h *Handler) mySessions(c *gin.Context, feedURL string) {
	u := userOf(c)
	ctx := c.Request.Context()
	now := h.Training.Now()
	start, _ := training.WeekOf(now)
	sessions, err := h.Training.TrainerSessions(ctx, u.ID, start, now.Add(upcomingSpan))
	if err != nil {
		h.fail(c, err)
		return
	}
	created, err := h.Training.FeedCreated(ctx, u.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	p := h.casePage(c, "cases.sessions.title", &MySessionsPage{Sessions: sessions, FeedURL: feedURL, FeedCreated: created})
	if feedURL != "" {
		c.Header("Referrer-Policy", "no-referrer")
	}
	h.render(c, http.StatusOK, "cases_sessions", p)
}

func (h *Handler) caseMySessions(c *gin.Context) { h.mySessions(c, "") }

// caseNewFeed makes a new private calendar URL and shows it once; the
// previous one stops working.
func (h *Handler) caseNewFeed(c *gin.Context) {
	u := userOf(c)
	// The audit line commits with the new feed.
	ctx := c.Request.Context()
	token, err := h.Training.NewFeedToken(ctx, u, h.Accounts.RecordIn(ctx, u, accounts.ActionCalendarFeedNew, u.HostID, "", ""))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.mySessions(c, h.opts.BaseURL+"/agenda/"+token+".ics")
}
