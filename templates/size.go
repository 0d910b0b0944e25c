package templates

import (
	"strconv"
	"strings"
)

// Size writes a number of bytes as a person reads it, in a language:
// "0 Mo", "350 Mo", "12,5 Go", "50 Go" in French; "12.5 GB" in English.
// Units are of 1024, as Nextcloud counts; one decimal at most, none when
// it is zero.
func Size(lang string, n int64) string {
	units := []string{"o", "Ko", "Mo", "Go", "To"}
	if lang == "en" {
		units = []string{"B", "KB", "MB", "GB", "TB"}
	}
	if n < 0 {
		n = 0
	}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i < 2 && n > 0 {
		// Below a megabyte, "1 Mo" reads better than "312 Ko" for a
		// workspace.
		return "< 1 " + units[2]
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	if i == 0 {
		return "0 " + units[2]
	}
	return s + "\u00a0" + units[i]
}
