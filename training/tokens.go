package training

import (
	"time"
	_ "time/tzdata" // Europe/Paris even where the system has no zoneinfo
)

// Paris is where dates are shown and typed; they are stored in UTC.
var Paris = mustLoadLocation("Europe/Paris")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day is a calendar day's length as the schedules count it.
const day = 24 * time.Hour
