package training

import (
	"time"

	"archipel/onboarding"
)

// Paris is where dates are shown and typed; they are stored in UTC.
var Paris = onboarding.Paris

// day is a calendar day's length as the schedules count it.
const day = 24 * time.Hour
