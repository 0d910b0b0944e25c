package onboarding

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	var b strings.Builder
	line := func(name, value string) { b.WriteString(foldICS(name + ":" + value)) }
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
	line("SUMMARY", escapeICSText(inv.Summary))
	if inv.Description != "" {
		line("DESCRIPTION", escapeICSText(inv.Description))
	}
	if inv.Location != "" {
		line("LOCATION", escapeICSText(inv.Location))
	}
	if inv.URL != "" {
		line("URL", inv.URL)
	}
	if inv.OrganizerEmail != "" {
		line("ORGANIZER;CN="+icsParam(inv.OrganizerName), "mailto:"+inv.OrganizerEmail)
	}
	if inv.AttendeeEmail != "" {
		line("ATTENDEE;CN="+icsParam(inv.AttendeeName)+";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE",
			"mailto:"+inv.AttendeeEmail)
	}
	line("STATUS", "CONFIRMED")
	line("TRANSP", "OPAQUE")
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return []byte(b.String())
}

// escapeICSText escapes a TEXT value: backslash, semicolon, comma and line
// ends (RFC 5545, 3.3.11).
func escapeICSText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if unicode.IsControl(r) && r != '\t' {
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// icsParam quotes a parameter value; a double quote cannot appear in one
// and control characters may not, so both are dropped.
func icsParam(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return `"` + s + `"`
}

// foldICS ends a content line with CRLF, folding it so that no line is
// longer than 75 octets, never inside a UTF-8 sequence; a continuation
// line starts with a space.
func foldICS(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = 3 // written as U+FFFD
		}
		if n+size > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	b.WriteString("\r\n")
	return b.String()
}
