package server

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/training"
)

// CheckinPage is the data of the association's check-in form.
type CheckinPage struct {
	Association string
	Host        string
	Days        int
	Action      string // the form's own address (it carries the private link)
	Form        training.CheckinAnswer
	Ratings     []string
	Help        []string
}

// CheckinDonePage is the data of the page a check-in link shows once it
// takes no more answers: why, in one message.
type CheckinDonePage struct {
	Association string
	Message     string // message ID
}

// CheckinStopPage is the data of the page that confirms stopping check-ins.
type CheckinStopPage struct {
	Association string
	Action      string
	Back        string
}

var checkinRatings = []string{"1", "2", "3", "4", "5"}

// checkinFail answers a check-in link that failed: the same "not found" for
// every link that opens nothing; internal errors are logged without the
// path, which carries the private link.
func (h *Handler) checkinFail(c *gin.Context, err error) {
	switch apperr.CodeOf(err) {
	case apperr.NotFound:
		h.renderError(c, http.StatusNotFound, "err.checkin.unknown")
	case apperr.Internal:
		h.Logger.Error("check-in page failed", slog.Any("err", err))
		h.renderError(c, http.StatusInternalServerError, "error.internal")
	default:
		h.renderError(c, statusOf(apperr.CodeOf(err)), apperr.KeyOf(err))
	}
}

func checkinAction(c *gin.Context) string { return "/bilan/" + c.Param("token") }

func (h *Handler) checkinDone(c *gin.Context, status int, cs *training.Case, key string) {
	c.Header("X-Robots-Tag", "noindex")
	h.render(c, status, "checkin_done", h.casePage(c, "checkin.title", &CheckinDonePage{Association: cs.Association, Message: key}))
}

func (h *Handler) checkinForm(c *gin.Context) {
	k, cs, err := h.Training.CheckinByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.checkinFail(c, err)
		return
	}
	if key := training.ClosedKey(k, cs); key != "" {
		h.checkinDone(c, http.StatusOK, cs, key)
		return
	}
	c.Header("X-Robots-Tag", "noindex")
	h.render(c, http.StatusOK, "checkin_form", h.casePage(c, "checkin.title", &CheckinPage{Association: cs.Association, Host: cs.HostName,
		Days: k.OffsetDays, Action: checkinAction(c), Ratings: checkinRatings, Help: training.HelpChoices}))
}

func (h *Handler) checkinAnswer(c *gin.Context) {
	ctx := c.Request.Context()
	var form training.CheckinAnswer
	if err := c.ShouldBindWith(&form, binding.Form); err != nil {
		h.checkinFail(c, err)
		return
	}
	k, cs, err := h.Training.CheckinByToken(ctx, c.Param("token"))
	if err != nil {
		h.checkinFail(c, err)
		return
	}
	if key := training.ClosedKey(k, cs); key != "" {
		h.checkinDone(c, http.StatusConflict, cs, key)
		return
	}
	if fe := form.Validate(); len(fe) > 0 {
		p := h.casePage(c, "checkin.title", &CheckinPage{Association: cs.Association, Host: cs.HostName, Days: k.OffsetDays,
			Action: checkinAction(c), Form: form, Ratings: checkinRatings, Help: training.HelpChoices})
		p.Errors = fe
		c.Header("X-Robots-Tag", "noindex")
		h.render(c, http.StatusBadRequest, "checkin_form", p)
		return
	}
	k, cs, err = h.Training.AnswerCheckin(ctx, c.Param("token"), form, h.tellAnswer(ctx))
	if err != nil {
		if apperr.CodeOf(err) == apperr.Conflict && cs != nil {
			h.checkinDone(c, http.StatusConflict, cs, apperr.KeyOf(err))
			return
		}
		h.checkinFail(c, err)
		return
	}
	h.Postman.Wake()
	caseRedirect(c, checkinAction(c), "checkin_thanks")
}

// tellAnswer tells a check-in's answer to the case's trainers (its host's
// staff when it has none), in the transaction that records the answer.
func (h *Handler) tellAnswer(ctx context.Context) training.AnswerThen {
	return func(tx *sql.Tx, k *training.CheckIn, cs *training.Case) error {
		link := h.opts.BaseURL + "/staff/cases/" + cs.ID
		return h.Notifier.Notify(ctx, tx, accounts.Notice{Kind: accounts.KindCheckin, HostID: cs.HostID, Trainers: cs.TrainerIDs,
			RequestID: cs.ApplicationID, Name: cs.Association, Link: link, Template: "checkin_answered",
			Data: map[string]any{"Days": k.OffsetDays, "Rating": k.Rating, "Works": k.Works, "Blocks": k.Blocks,
				"WantsHelp": k.WantsHelp, "WantsTraining": k.WantsTraining}})
	}
}

func (h *Handler) checkinStopConfirm(c *gin.Context) {
	_, cs, err := h.Training.CheckinByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.checkinFail(c, err)
		return
	}
	if cs.CheckinsStopped {
		key := "checkin.closed.stopped"
		if cs.Stage == training.StageClosed {
			key = "checkin.closed.case_closed"
		}
		h.checkinDone(c, http.StatusOK, cs, key)
		return
	}
	c.Header("X-Robots-Tag", "noindex")
	h.render(c, http.StatusOK, "checkin_stop", h.casePage(c, "checkin.stop.title",
		&CheckinStopPage{Association: cs.Association, Action: checkinAction(c) + "/arreter", Back: checkinAction(c)}))
}

func (h *Handler) checkinStop(c *gin.Context) {
	// The audit line (by the association, no account) commits with it.
	ctx := c.Request.Context()
	_, err := h.Training.StopCheckins(ctx, c.Param("token"), func(cs *training.Case) database.Then {
		return h.Accounts.RecordIn(ctx, nil, accounts.ActionCheckinsStopped, cs.HostID, cs.ApplicationID, "by the association")
	})
	if err != nil {
		h.checkinFail(c, err)
		return
	}
	caseRedirect(c, checkinAction(c)+"/arreter", "checkin_stopped")
}

// calendarFeed serves a trainer's sessions as iCalendar, to whoever holds
// the private URL: from 90 days ago to a year ahead.
func (h *Handler) calendarFeed(c *gin.Context) {
	ctx := c.Request.Context()
	token, ok := strings.CutSuffix(c.Param("file"), ".ics")
	if !ok {
		h.notFound(c)
		return
	}
	userID, err := h.Training.FeedUser(ctx, token)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			h.notFound(c)
			return
		}
		h.checkinFail(c, err)
		return
	}
	u, err := h.Accounts.Get(ctx, userID)
	if err != nil {
		h.checkinFail(c, err)
		return
	}
	lang := u.Language
	if lang != "en" {
		lang = "fr"
	}
	now := h.Training.Now()
	sessions, err := h.Training.TrainerSessions(ctx, u.ID, now.Add(-90*24*time.Hour), now.Add(365*24*time.Hour))
	if err != nil {
		h.checkinFail(c, err)
		return
	}
	labels := map[string]map[string]string{}
	events := make([]training.Event, 0, len(sessions))
	for _, s := range sessions {
		if labels[s.HostID] == nil {
			_, l, err := h.topicOptions(ctx, u, lang, s.HostID)
			if err != nil {
				h.checkinFail(c, err)
				return
			}
			labels[s.HostID] = l
		}
		var topics []string
		for _, t := range s.Topics {
			topics = append(topics, labels[s.HostID][t])
		}
		desc := h.Templates.MustT(lang, "opt.session_format."+string(s.Format)) + " – " + strconv.Itoa(s.Minutes) + " min"
		if len(topics) > 0 {
			desc += "\n" + h.Templates.MustT(lang, "label.session_topics") + " : " + strings.Join(topics, ", ")
		}
		if s.NextSteps != "" {
			desc += "\n" + h.Templates.MustT(lang, "label.session_next_steps") + " : " + s.NextSteps
		}
		events = append(events, training.Event{UID: s.ID + "@archipel", Start: s.StartsAt, End: s.EndsAt(), Stamp: s.UpdatedAt,
			Summary: h.Templates.MustT(lang, "cases.ics.summary", "Name", s.Association), Description: desc,
			URL: h.opts.BaseURL + "/staff/cases/" + s.CaseID})
	}
	var buf bytes.Buffer
	if err := training.WriteCalendar(&buf, h.Templates.MustT(lang, "cases.ics.name"), events); err != nil {
		h.checkinFail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("Content-Disposition", `inline; filename="archipel.ics"`)
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", buf.Bytes())
}
