// Package onboarding is the association's side of Archipel: the guided
// sign-up flow (the needs questionnaire), the private link that resumes it,
// the request's status, and the choice of a partner host.
package onboarding

import (
	"slices"
	"time"

	"archipel/database"
)

// Status is where a request stands.
type Status string

// The statuses of a request, in the order an association lives them.
const (
	StatusDraft            Status = "draft"
	StatusSubmitted        Status = "submitted"
	StatusInfoRequested    Status = "info_requested"
	StatusInterviewPlanned Status = "interview_planned"
	StatusApproved         Status = "approved"
	StatusProvisioning     Status = "provisioning"
	StatusReady            Status = "ready"
	StatusDeclined         Status = "declined"
	StatusWithdrawn        Status = "withdrawn"
)

// Open reports whether a request is still being handled (neither ended nor
// completed), which is what duplicate detection looks at.
func (s Status) Open() bool {
	switch s {
	case StatusDeclined, StatusWithdrawn, StatusReady:
		return false
	}
	return true
}

// Statuses lists every status of a request.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned, StatusApproved,
	StatusProvisioning, StatusReady, StatusDeclined, StatusWithdrawn}

// openList is the open statuses (Open) as an SQL list; countedList those a
// host's capacity counts: open and sent.
var (
	openList    = statusList(slices.DeleteFunc(slices.Clone(Statuses), func(s Status) bool { return !s.Open() }))
	countedList = statusList(slices.DeleteFunc(slices.Clone(Statuses), func(s Status) bool { return !s.Open() || s == StatusDraft }))
)

// Withdrawable reports whether the association may still withdraw.
func (s Status) Withdrawable() bool {
	switch s {
	case StatusDraft, StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned:
		return true
	}
	return false
}

// Milestones are the statuses the status page shows as a timeline.
var Milestones = []Status{StatusSubmitted, StatusInterviewPlanned, StatusApproved, StatusProvisioning, StatusReady}

// Application is an association's request for a workspace.
type Application struct {
	ID              string
	Status          Status
	Step            Step // furthest step whose answers were accepted, plus one
	Language        string
	Answers         Answers
	HostID          string
	MatchReason     string
	EmailVerifiedAt time.Time
	Version         int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	SubmittedAt     time.Time
	// Reopened are the steps staff asked the association to look at again
	// (while the request is info_requested).
	Reopened []Step
	// ErasedAt is when the request's data was erased at the association's
	// request (zero otherwise): the row is kept, emptied, for the figures
	// and the clean-up of its workspace.
	ErasedAt time.Time
}

// Erased reports whether the request's data was erased: nothing may be
// added to it any more.
func (a *Application) Erased() bool { return !a.ErasedAt.IsZero() }

// Verified reports whether the contact address was confirmed by the link.
func (a *Application) Verified() bool { return !a.EmailVerifiedAt.IsZero() }

// Reached reports whether the association may open a step: steps are
// filled in order, and any step already reached can be revisited.
func (a *Application) Reached(s Step) bool { return s <= a.Step }

// Editable reports whether the answers may still change.
func (a *Application) Editable() bool {
	return slices.Contains(editable, a.Status)
}

// editable are the statuses in which the association may change answers.
var editable = []Status{StatusDraft, StatusInfoRequested}

// editableList is editable as an SQL list, written from the constants.
var editableList = statusList(editable)

// MayEdit reports whether the association may change a step's answers: any
// step reached of a draft; once sent, only the steps staff reopened (and
// the review, which sends it again).
func (a *Application) MayEdit(s Step) bool {
	switch {
	case !a.Editable() || !a.Reached(s):
		return false
	case a.Status == StatusDraft, s == StepReview:
		return true
	}
	return slices.Contains(a.Reopened, s)
}

// statusList writes statuses as a quoted SQL list ('a', 'b'), from the
// typed constants (database.QuotedList).
func statusList(list []Status) string { return database.QuotedList(list) }

// Event is one entry of a request's timeline.
type Event struct {
	ID        int64
	Kind      string
	Actor     string
	Detail    string
	Public    bool
	CreatedAt time.Time
}

// Host is a partner host as the sign-up flow sees it: the same profile the
// administrators edit (only its public fields are shown to associations).
type Host = HostProfile
