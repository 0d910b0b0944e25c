package onboarding_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"archipel/onboarding"
)

// icsProperties unfolds an iCalendar text and returns its content lines,
// failing on a line that does not end in CRLF or is longer than 75 octets.
func icsProperties(t *testing.T, raw []byte) []string {
	t.Helper()
	s := string(raw)
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatal("the calendar does not end with CRLF")
	}
	physical := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	var lines []string
	for _, l := range physical {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("a bare CR or LF in %q", l)
		}
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("a line is cut inside a UTF-8 sequence: %q", l)
		}
		if strings.HasPrefix(l, " ") {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// icsValue returns the value of the first property of that name (with or
// without parameters).
func icsValue(lines []string, name string) (params, value string, ok bool) {
	for _, l := range lines {
		head, v, found := strings.Cut(l, ":")
		if !found {
			continue
		}
		n, p, _ := strings.Cut(head, ";")
		if n == name {
			return p, v, true
		}
	}
	return "", "", false
}

func TestInterviewCalendar(t *testing.T) {
	iv := &onboarding.Interview{ID: "7f1c", Start: time.Date(2026, 3, 10, 13, 30, 0, 0, time.UTC), Duration: 90 * time.Minute,
		Mode: onboarding.ModeInPerson, Place: "Maison des associations, 12 rue X; salle 3\nLyon", Sequence: 2}
	inv := onboarding.Invitation{
		Domain: "archipel.example", Summary: "Entretien avec L'Île numérique (Les Amis du Vélo)",
		Description:   strings.Repeat("Entretien pour préparer l'espace Nextcloud de « Les Amis du Vélo », ", 3) + `C:\dossier`,
		Location:      iv.Place,
		OrganizerName: `L'Île "numérique"`, OrganizerEmail: "contact@ile.example",
		AttendeeName: "Anne Martin", AttendeeEmail: "anne@example.org",
		Stamp: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
	}
	lines := icsProperties(t, iv.Calendar(inv))
	want := map[string]string{
		"BEGIN":    "VCALENDAR",
		"VERSION":  "2.0",
		"METHOD":   "REQUEST",
		"UID":      "7f1c@archipel.example",
		"SEQUENCE": "2",
		"DTSTAMP":  "20260302T090000Z",
		"DTSTART":  "20260310T133000Z",
		"DTEND":    "20260310T150000Z",
		"SUMMARY":  "Entretien avec L'Île numérique (Les Amis du Vélo)",
		"LOCATION": `Maison des associations\, 12 rue X\; salle 3\nLyon`,
	}
	for name, v := range want {
		if _, got, ok := icsValue(lines, name); !ok || got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if _, d, _ := icsValue(lines, "DESCRIPTION"); !strings.HasSuffix(d, `C:\\dossier`) || !strings.Contains(d, `Vélo »\, Entretien`) {
		t.Errorf("DESCRIPTION = %q", d)
	}
	if p, v, ok := icsValue(lines, "ORGANIZER"); !ok || v != "mailto:contact@ile.example" || p != `CN="L'Île numérique"` {
		t.Errorf("ORGANIZER;%s:%s", p, v)
	}
	if p, v, ok := icsValue(lines, "ATTENDEE"); !ok || v != "mailto:anne@example.org" || !strings.Contains(p, `CN="Anne Martin"`) || !strings.Contains(p, "RSVP=TRUE") {
		t.Errorf("ATTENDEE;%s:%s", p, v)
	}
	// The event sits inside the calendar.
	var order []string
	for _, l := range lines {
		if strings.HasPrefix(l, "BEGIN:") || strings.HasPrefix(l, "END:") {
			order = append(order, l)
		}
	}
	if strings.Join(order, ",") != "BEGIN:VCALENDAR,BEGIN:VEVENT,END:VEVENT,END:VCALENDAR" {
		t.Errorf("structure %q", order)
	}
	t.Run("a video call gives its link as URL and no organizer without host contact", func(t *testing.T) {
		video := &onboarding.Interview{ID: "v1", Start: iv.Start, Duration: time.Hour, Mode: onboarding.ModeVideo, Link: "https://visio.example/a?b=c,d"}
		lines := icsProperties(t, video.Calendar(onboarding.Invitation{Domain: "d", Summary: "s", URL: video.Link, Stamp: inv.Stamp}))
		if _, u, _ := icsValue(lines, "URL"); u != video.Link {
			t.Errorf("URL = %q", u)
		}
		if _, _, ok := icsValue(lines, "ORGANIZER"); ok {
			t.Error("an organizer without address")
		}
		if _, s, _ := icsValue(lines, "SEQUENCE"); s != "0" {
			t.Errorf("SEQUENCE = %q", s)
		}
	})
	t.Run("long lines fold at 75 octets without cutting a character", func(t *testing.T) {
		long := &onboarding.Interview{ID: "l", Start: iv.Start, Duration: time.Hour, Mode: onboarding.ModePhone}
		summary := strings.Repeat("é", 100) // 200 octets
		raw := long.Calendar(onboarding.Invitation{Domain: "d", Summary: summary, Stamp: inv.Stamp})
		lines := icsProperties(t, raw)
		if _, s, _ := icsValue(lines, "SUMMARY"); s != summary {
			t.Errorf("unfolded SUMMARY = %q", s)
		}
		if !strings.Contains(string(raw), "\r\n é") {
			t.Error("no folded continuation line")
		}
	})
}
