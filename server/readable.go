package server

import (
	"context"
	"regexp"
	"strings"
	"time"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/templates"
)

// What the history and the audit log store is written for the program:
// action codes, e-mail addresses, ids, RFC 3339 times. readable turns it
// into what a person reads, in their language: names, sentences, times in
// Paris. Rows written before a detail became a stored message are read in
// their old forms too, so no page ever shows a code.
type readable struct {
	h     *Handler
	lang  string
	staff map[string]string // e-mail (lower case) → name
}

// newReadable loads the names of the staff accounts, to show names rather
// than addresses.
func (h *Handler) newReadable(ctx context.Context, lang string) (*readable, error) {
	r := &readable{h: h, lang: lang, staff: map[string]string{}}
	users, err := h.Accounts.List(ctx, &accounts.User{Role: accounts.RoleAdmin})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Name != "" {
			r.staff[strings.ToLower(u.Email)] = u.Name
		}
	}
	return r, nil
}

func (r *readable) t(id string, args ...any) string { return r.h.Templates.MustT(r.lang, id, args...) }

func (r *readable) has(id string) bool { return r.h.hasMessage(r.lang, id) }

// datetime is a time as pages show it, in Paris.
func (r *readable) datetime(t time.Time) string {
	if r.lang == "fr" {
		return t.In(templates.Paris).Format("02/01/2006 à 15:04")
	}
	return t.In(templates.Paris).Format("2 Jan 2006, 15:04")
}

var (
	uuidRe = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	isoRe  = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})\b`)
)

// plain makes a free text safe to show: a stored message is translated,
// an RFC 3339 time becomes a time in Paris, an id is left out.
func (r *readable) plain(text string) string {
	text = r.h.Templates.Msg(r.lang, text)
	text = isoRe.ReplaceAllStringFunc(text, func(s string) string {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return r.datetime(t)
		}
		return s
	})
	text = uuidRe.ReplaceAllString(text, "")
	return strings.Join(strings.Fields(text), " ")
}

// actor is who did something: a staff member's name, "Archipel" for the
// program (the matcher, the engine, the scheduler).
func (r *readable) actor(email string) string {
	switch email {
	case "", onboarding.MatchActor:
		return r.t("actor.archipel")
	}
	if name, ok := r.staff[strings.ToLower(email)]; ok {
		return name
	}
	return email
}

// eventActor is who caused a timeline event: the association for what it
// does itself, else as actor.
func (r *readable) eventActor(e onboarding.Event, assoc string) string {
	switch e.Kind {
	case "created", "email_verified", "submitted", "withdrawn", "reschedule_requested", "link_sent":
		if e.Actor == "" {
			return assoc
		}
	}
	return r.actor(e.Actor)
}

// eventWhat is an event's label.
func (r *readable) eventWhat(kind string) string {
	if key := "event." + kind; r.has(key) {
		return r.t(key)
	}
	return r.t("event.other")
}

// eventDetail is an event's detail: an interview's time, a reason, a
// message.
func (r *readable) eventDetail(e onboarding.Event) string {
	if e.Kind == string(onboarding.StatusInterviewPlanned) {
		return r.interview(e.Detail)
	}
	return r.plain(e.Detail)
}

// interview reads "2026-12-10T13:30:00Z video" (a time and, in the audit,
// a mode) as "10/12/2026 à 14:30, en visioconférence".
func (r *readable) interview(detail string) string {
	when, mode, _ := strings.Cut(strings.TrimSpace(detail), " ")
	t, err := time.Parse(time.RFC3339, when)
	if err != nil {
		return r.plain(detail)
	}
	out := r.datetime(t)
	if key := "mode.inline." + mode; mode != "" && r.has(key) {
		out = r.t("audit.detail.interview", "When", out, "Mode", r.t(key))
	}
	return out
}

var (
	planRe   = regexp.MustCompile(`(\d+) GB, (\d+) accounts`)
	demoRe   = regexp.MustCompile(`^(\d+) days, (\d+) check-ins$`)
	userRe   = regexp.MustCompile(`^(\S+@\S+) \((\w+)\)`)
	accountR = regexp.MustCompile(`^account (.+)$`)
)

// auditAction is an audit action's label.
func (r *readable) auditAction(action string) string {
	for _, key := range []string{"audit.action." + action, "req.audit." + action} {
		if r.has(key) {
			return r.t(key)
		}
	}
	return r.t("audit.action.other")
}

// auditDetail reads an audit line's detail in the forms each action wrote.
func (r *readable) auditDetail(e accounts.Entry) string {
	d := strings.TrimSpace(e.Detail)
	switch e.Action {
	case "note_added", "provisioning_retried", "provisioning_cancelled", "declined", "decline_template_deleted",
		"case_trainers", "password_set", "showcase_saved", "showcase_logo", "showcase_logo_removed", "showcase_asked":
		// Ids of notes, jobs, templates, trainers, entries: nothing a
		// person reads; the action and the request say it all.
		return ""
	case "approved":
		if m := planRe.FindStringSubmatch(d); m != nil {
			return r.t("audit.detail.plan", "Quota", m[1], "Accounts", m[2])
		}
	case "interview_planned", "interview_moved":
		return r.interview(d)
	case "info_requested":
		var steps []string
		for _, slug := range strings.Split(d, ",") {
			if st, ok := onboarding.StepFromSlug(strings.TrimSpace(slug)); ok {
				steps = append(steps, r.t("step."+st.Slug()+".title"))
			}
		}
		if len(steps) > 0 {
			return strings.Join(steps, ", ")
		}
	case "workspace_disabled":
		if m := accountR.FindStringSubmatch(d); m != nil {
			return r.t("audit.detail.account", "Account", m[1])
		}
	case "case_stage":
		if from, to, ok := strings.Cut(d, " → "); ok && r.has("stage."+from) && r.has("stage."+to) {
			return r.t("stage."+from) + " → " + r.t("stage."+to)
		}
	case "case_close":
		if key := "opt.close_outcome." + d; r.has(key) {
			return r.t(key)
		}
	case "session_add", "session_update":
		if _, when, ok := strings.Cut(d, " "); ok {
			if t, err := time.Parse(time.RFC3339, when); err == nil {
				return r.datetime(t)
			}
		}
	case "demo_advance":
		if m := demoRe.FindStringSubmatch(d); m != nil {
			return r.t("audit.detail.demo", "Days", m[1], "Checkins", m[2])
		}
	case "checkins_stopped":
		return r.t("audit.detail.by_association")
	case "user_invited", "user_reinvited", "user_created", "user_disabled", "user_enabled":
		if m := userRe.FindStringSubmatch(d); m != nil && r.has("opt.role."+m[2]) {
			return m[1] + " (" + r.t("opt.role."+m[2]) + ")"
		}
	case "host_checked":
		if d != "" && !strings.Contains(d, " ") && r.has(d) {
			return r.t(d)
		}
	case "decline_template_saved":
		if lang, name, ok := strings.Cut(d, " "); ok && r.has("req.lang."+lang) {
			return name + " (" + r.t("req.lang."+lang) + ")"
		}
	}
	return r.plain(d)
}
