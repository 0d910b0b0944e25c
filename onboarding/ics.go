package onboarding

import (
	"strconv"
	"time"

	"archipel/ical"
)

// Invitation is what an interview's calendar invitation says besides the
// interview itself; texts are already in the association's language.
type Invitation struct {
	Domain         string // right-hand side of the UID, e.g. Archipel's host name
	Summary        string
	Description    string
	Location       string
	URL            string
	OrganizerName  string
	OrganizerEmail string // the host's contact; no ORGANIZER when empty
	AttendeeName   string
	AttendeeEmail  string
	Stamp          time.Time // when the invitation is made (DTSTAMP)
}

// icsTime is the UTC form of DATE-TIME values.
const icsTime = "20060102T150405Z"

// Calendar returns the interview as an iCalendar invitation (RFC 5545,
// METHOD:REQUEST): the same UID for every version of one interview and its
// sequence, so that a calendar replaces a moved interview instead of adding
// one; CRLF line ends, lines folded at 75 octets, text values escaped.
func (iv *Interview) Calendar(inv Invitation) []byte {
	var cal ical.Writer
	line := cal.Line
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Archipel//Interview//FR")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "REQUEST")
	line("BEGIN", "VEVENT")
	line("UID", iv.ID+"@"+inv.Domain)
	line("SEQUENCE", strconv.Itoa(iv.Sequence))
	line("DTSTAMP", inv.Stamp.UTC().Format(icsTime))
	line("DTSTART", iv.Start.UTC().Format(icsTime))
	line("DTEND", iv.End().UTC().Format(icsTime))
	line("SUMMARY", ical.Text(inv.Summary))
	if inv.Description != "" {
		line("DESCRIPTION", ical.Text(inv.Description))
	}
	if inv.Location != "" {
		line("LOCATION", ical.Text(inv.Location))
	}
	if inv.URL != "" {
		line("URL", inv.URL)
	}
	if inv.OrganizerEmail != "" {
		line("ORGANIZER;CN="+ical.Param(inv.OrganizerName), "mailto:"+inv.OrganizerEmail)
	}
	if inv.AttendeeEmail != "" {
		line("ATTENDEE;CN="+ical.Param(inv.AttendeeName)+";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE",
			"mailto:"+inv.AttendeeEmail)
	}
	line("STATUS", "CONFIRMED")
	line("TRANSP", "OPAQUE")
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return []byte(cal.String())
}
