// Package ical writes iCalendar (RFC 5545) content: the interview
// invitations e-mailed to associations and the trainers' session feeds.
package ical

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Writer accumulates content lines, each folded and ended with CRLF.
type Writer struct {
	b strings.Builder
}

// Line writes "name:value"; value must already be escaped where the
// property's type asks for it (see Text).
func (w *Writer) Line(name, value string) { w.b.WriteString(Fold(name + ":" + value)) }

// String returns what was written.
func (w *Writer) String() string { return w.b.String() }

// Time formats a DATE-TIME in UTC ("20261121T093000Z").
func Time(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// Text escapes a TEXT value (RFC 5545, 3.3.11): backslash, semicolon, comma
// and line ends; other control characters are dropped.
func Text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n', '\r':
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

// Param quotes a parameter value; a double quote cannot appear in one and
// control characters may not, so both are dropped.
func Param(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return `"` + s + `"`
}

// Fold ends a content line with CRLF, folded so that no line is longer
// than 75 octets and no UTF-8 sequence is split; continuation lines start
// with a space (RFC 5545, 3.1).
func Fold(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		size := utf8.RuneLen(r)
		if size < 0 {
			r, size = utf8.RuneError, 3
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
