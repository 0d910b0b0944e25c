package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
	"archipel/training"
)

// CasePage is the data of a case's page.
type CasePage struct {
	Case        *training.Case
	Eligible    []training.Trainer // accounts that may accompany it
	Assigned    []training.Trainer
	Sessions    []training.Session
	Checkins    []training.CheckIn
	Usage       training.UsageView
	Flags       []training.CaseFlag
	TopicLabels map[string]string
	TrainerName map[string]string
	Moves       []training.Stage
	// Chosen are the trainer ids ticked in the form (kept after an error).
	Chosen []string
	// MayAssign and MayClose say which forms the reader may use.
	MayAssign, MayClose bool
}

// Hours is the total time spent in sessions, in hours and minutes.
func (p *CasePage) Hours() string {
	total := 0
	for _, s := range p.Sessions {
		total += s.Minutes
	}
	return strconv.Itoa(total/60) + " h " + twoDigits(total%60)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func (h *Handler) casePageData(c *gin.Context, cs *training.Case) (*CasePage, error) {
	ctx := c.Request.Context()
	cp := &CasePage{Case: cs, Moves: caseMoves, Chosen: cs.TrainerIDs, TrainerName: map[string]string{},
		MayAssign: cs.MayAssign(userOf(c)), MayClose: cs.MayClose(userOf(c))}
	var err error
	if cp.Eligible, err = h.Training.Trainers(ctx, cs.HostID); err != nil {
		return nil, err
	}
	for _, t := range cp.Eligible {
		cp.TrainerName[t.ID] = t.Display()
		for _, id := range cs.TrainerIDs {
			if id == t.ID {
				cp.Assigned = append(cp.Assigned, t)
			}
		}
	}
	if cp.Sessions, err = h.Training.Sessions(ctx, cs.ID); err != nil {
		return nil, err
	}
	if cp.Checkins, err = h.Training.Checkins(ctx, cs.ID); err != nil {
		return nil, err
	}
	if cp.Usage, err = h.Training.Usage(ctx, cs.ID); err != nil {
		return nil, err
	}
	if cp.Flags, err = h.Training.CaseFlags(ctx, cs.ID); err != nil {
		return nil, err
	}
	if _, cp.TopicLabels, err = h.topicOptions(ctx, userOf(c), langOf(c), cs.HostID); err != nil {
		return nil, err
	}
	return cp, nil
}

// renderCase shows a case's page with a status and, after a refused form,
// its errors.
func (h *Handler) renderCase(c *gin.Context, status int, cs *training.Case, formErr string, fe onboarding.FieldErrors, chosen []string) {
	cp, err := h.casePageData(c, cs)
	if err != nil {
		h.fail(c, err)
		return
	}
	if chosen != nil {
		cp.Chosen = chosen
	}
	p := h.casePage(c, "cases.case.title", cp)
	p.FormError, p.Errors = formErr, fe
	h.render(c, status, "cases_case", p)
}

func (h *Handler) caseShow(c *gin.Context) {
	if cs := h.loadCase(c); cs != nil {
		h.renderCase(c, http.StatusOK, cs, "", nil, nil)
	}
}

// formVersion applies the version the form was made from: a case changed
// since then is a conflict rather than a silent overwrite.
func formVersion(c *gin.Context, cs *training.Case) {
	if v, err := strconv.Atoi(c.PostForm("version")); err == nil {
		cs.Version = v
	}
}

// backTo is where a form on the board or the case page returns.
func backTo(c *gin.Context, cs *training.Case) string {
	if b := c.PostForm("back"); b == "board" {
		return "/staff/cases/board?host=" + url.QueryEscape(cs.HostID)
	}
	return "/staff/cases/" + cs.ID
}

func (h *Handler) caseMove(c *gin.Context) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	from := cs.Stage
	to, ok := training.ParseStage(c.PostForm("stage"))
	if !ok || to == training.StageClosed {
		h.renderCase(c, http.StatusBadRequest, cs, "", onboarding.FieldErrors{{Field: "stage", Key: "err.choice"}}, nil)
		return
	}
	formVersion(c, cs)
	// The audit line commits with the move.
	audit := h.Accounts.RecordIn(c.Request.Context(), userOf(c), accounts.ActionCaseStage, cs.HostID, cs.ApplicationID, string(from)+" → "+string(to))
	if err := h.Training.MoveStage(c.Request.Context(), cs, to, audit); err != nil {
		h.caseRefused(c, cs, err, nil)
		return
	}
	caseRedirect(c, backTo(c, cs), "case_moved")
}

func (h *Handler) caseAssign(c *gin.Context) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	ids := c.PostFormArray("trainers")
	formVersion(c, cs)
	// The audit line commits with the trainers chosen.
	ctx, u := c.Request.Context(), userOf(c)
	err := h.Training.AssignTrainers(ctx, u, cs, ids, func(kept []string) database.Then {
		return h.Accounts.RecordIn(ctx, u, accounts.ActionCaseTrainers, cs.HostID, cs.ApplicationID, strings.Join(kept, ","))
	})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			h.renderCase(c, http.StatusBadRequest, cs, "", onboarding.FieldErrors{{Field: "trainers", Key: apperr.KeyOf(err)}}, ids)
			return
		}
		h.caseRefused(c, cs, err, ids)
		return
	}
	caseRedirect(c, "/staff/cases/"+cs.ID, "trainers_saved")
}

// caseRefused shows the case again after a refused action: a conflict
// (changed meanwhile, closed) reloads it and says why.
func (h *Handler) caseRefused(c *gin.Context, cs *training.Case, err error, chosen []string) {
	switch apperr.CodeOf(err) {
	case apperr.Conflict, apperr.Invalid:
		fresh, gerr := h.Training.Get(c.Request.Context(), cs.ID)
		if gerr != nil {
			h.fail(c, gerr)
			return
		}
		h.renderCase(c, statusOf(apperr.CodeOf(err)), fresh, apperr.KeyOf(err), nil, chosen)
	default:
		h.fail(c, err)
	}
}

// CloseCasePage is the data of the form that closes a case.
type CloseCasePage struct {
	Case     *training.Case
	Outcome  string
	Note     string
	Outcomes []string
}

var caseOutcomes = []string{string(training.OutcomeSuccess), string(training.OutcomeDropped)}

func (h *Handler) caseCloseForm(c *gin.Context) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	if cs.Stage == training.StageClosed {
		caseRedirect(c, "/staff/cases/"+cs.ID, "")
		return
	}
	if !cs.MayClose(userOf(c)) {
		h.fail(c, apperr.New(apperr.Forbidden, "err.case.not_assigned", "server: close case"))
		return
	}
	outcome := ""
	if cs.Stage == training.StageAutonomous {
		outcome = string(training.OutcomeSuccess)
	}
	h.render(c, http.StatusOK, "cases_close", h.casePage(c, "cases.close.title", &CloseCasePage{Case: cs, Outcome: outcome, Outcomes: caseOutcomes}))
}

func (h *Handler) caseClose(c *gin.Context) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	f := &CloseCasePage{Case: cs, Outcome: c.PostForm("close_outcome"), Note: c.PostForm("close_note"), Outcomes: caseOutcomes}
	var fe onboarding.FieldErrors
	if f.Outcome != string(training.OutcomeSuccess) && f.Outcome != string(training.OutcomeDropped) {
		fe = append(fe, onboarding.FieldError{Field: "close_outcome", Key: "err.case.outcome"})
	}
	if len([]rune(f.Note)) > 4000 {
		fe = append(fe, onboarding.FieldError{Field: "close_note", Key: "err.too_long"})
	}
	formVersion(c, cs)
	var err error
	if len(fe) == 0 {
		// The audit line commits with the closing.
		ctx, u := c.Request.Context(), userOf(c)
		err = h.Training.Close(ctx, u, cs, training.Outcome(f.Outcome), f.Note,
			h.Accounts.RecordIn(ctx, u, accounts.ActionCaseClose, cs.HostID, cs.ApplicationID, f.Outcome))
	}
	if len(fe) > 0 || err != nil {
		p := h.casePage(c, "cases.close.title", f)
		p.Errors = fe
		status := http.StatusBadRequest
		if err != nil {
			if code := apperr.CodeOf(err); code != apperr.Conflict && code != apperr.Invalid {
				h.fail(c, err)
				return
			}
			p.FormError, status = apperr.KeyOf(err), statusOf(apperr.CodeOf(err))
			if fresh, gerr := h.Training.Get(c.Request.Context(), cs.ID); gerr == nil {
				f.Case = fresh // the form then carries the current version
			}
		}
		h.render(c, status, "cases_close", p)
		return
	}
	caseRedirect(c, "/staff/cases/"+cs.ID, "case_closed")
}

// caseReadUsage reads the case's usage on its host's Nextcloud now, rather
// than at the daily reading or the next check-in; a host that does not
// answer keeps the last values, and the page says so.
func (h *Handler) caseReadUsage(c *gin.Context) {
	cs := h.loadCase(c)
	if cs == nil {
		return
	}
	if h.Usage == nil {
		h.notFound(c)
		return
	}
	r, err := h.Usage.ReadCase(c.Request.Context(), cs.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	notice := "usage_read"
	if !r.OK {
		notice = "usage_failed"
	}
	caseRedirect(c, "/staff/cases/"+cs.ID, notice)
}
