package ical

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"special characters are escaped", `a,b;c\d`, `a\,b\;c\\d`},
		{"line ends become \n", "one\r\ntwo\rthree\nfour", `one\ntwo\nthree\nfour`},
		{"other control characters are dropped, tabs kept", "a\x00b\tc", "ab\tc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Fatalf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldKeepsLinesShortAndCharactersWhole(t *testing.T) {
	line := "SUMMARY:" + strings.Repeat("Réunion de l'équipe 🚲 ", 10)
	folded := Fold(line)
	if !strings.HasSuffix(folded, "\r\n") {
		t.Fatal("no CRLF at the end")
	}
	for _, l := range strings.Split(strings.TrimSuffix(folded, "\r\n"), "\r\n") {
		if len(l) > 75 || !utf8.ValidString(l) {
			t.Fatalf("line of %d octets (valid UTF-8: %v): %q", len(l), utf8.ValidString(l), l)
		}
	}
	if got := strings.ReplaceAll(strings.TrimSuffix(folded, "\r\n"), "\r\n ", ""); got != line {
		t.Fatalf("unfolded %q", got)
	}
}

func TestParamAndTime(t *testing.T) {
	if got := Param("Anne \"la\" Martin\n"); got != `"Anne la Martin"` {
		t.Fatalf("Param = %q", got)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	if got := Time(time.Date(2026, 11, 21, 10, 30, 0, 0, paris)); got != "20261121T093000Z" {
		t.Fatalf("Time = %q", got)
	}
}
