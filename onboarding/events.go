package onboarding

// The kinds of a request's timeline entries. An entry for a status the
// request reached has that status as its kind; the others are below. Each
// kind in EventKinds has a label in both languages (event.<kind>), which
// a test checks, so that no timeline shows a code.
const (
	EventCreated             = "created"
	EventEmailVerified       = "email_verified"
	EventLinkSent            = "link_sent"
	EventHostWish            = "host_wish"
	EventRescheduleRequested = "reschedule_requested"
	EventWaitingHost         = "waiting_host"
	EventHostAssigned        = "host_assigned"
	EventHostFound           = "host_found"
	EventTransferred         = "transferred"
	EventWorkspaceDisabled   = "workspace_disabled"
	EventErasureRequested    = "erasure_requested"
	EventErasureRefused      = "erasure_refused"
)

// EventKinds lists every kind of timeline entry: each status but draft
// (a request is created, not moved, into it), and the kinds above.
func EventKinds() []string {
	kinds := []string{EventCreated, EventEmailVerified, EventLinkSent, EventHostWish, EventRescheduleRequested,
		EventWaitingHost, EventHostAssigned, EventHostFound, EventTransferred, EventWorkspaceDisabled, EventErasureRequested,
		EventErasureRefused}
	for _, st := range Statuses {
		if st != StatusDraft {
			kinds = append(kinds, string(st))
		}
	}
	return kinds
}
