package training

// CheckinStatus is where a check-in stands.
type CheckinStatus string

// The statuses of a check-in.
const (
	CheckinScheduled CheckinStatus = "scheduled" // waiting for its due time
	CheckinSending   CheckinStatus = "sending"   // claimed by a worker, being sent
	CheckinSent      CheckinStatus = "sent"      // waiting for an answer
	CheckinReminded  CheckinStatus = "reminded"  // one reminder went out
	CheckinAnswered  CheckinStatus = "answered"
	CheckinExpired   CheckinStatus = "expired" // no answer after the reminder: the case is flagged
	CheckinStopped   CheckinStatus = "stopped" // the association asked to stop, or the case closed
)
