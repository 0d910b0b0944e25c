package provisioning

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Bounds on the ids Archipel chooses. Nextcloud 31 refuses user ids over 64
// characters; group ids are kept as short so that both fit in every version.
const (
	maxGroupID = 40
	maxUserID  = 64
)

// ligatures that NFD does not split into a letter plus a mark.
var ligatures = strings.NewReplacer("œ", "oe", "Œ", "OE", "æ", "ae", "Æ", "AE", "ß", "ss", "ø", "o", "Ø", "O", "ł", "l", "Ł", "L", "đ", "d", "Đ", "D")

// Slug turns a name into lower-case ASCII letters, digits and single dashes,
// at most max characters: "Les Amis du Vélo !" becomes "les-amis-du-velo".
func Slug(s string, max int) string {
	s = ligatures.Replace(s)
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, _ = transform.String(t, s)
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], "-")
	}
	return out
}

// GroupIDCandidate is the n-th id tried for an association's group (n from
// 1): "les-amis-du-velo", then "les-amis-du-velo-2", …
func GroupIDCandidate(associationName string, n int) string {
	base := Slug(associationName, maxGroupID)
	if base == "" {
		base = "association"
	}
	return withSuffix(base, n, maxGroupID)
}

// UserIDCandidate is the n-th id tried for the association's admin account:
// the contact's name then the group, "anne-martin.les-amis-du-velo".
func UserIDCandidate(contactName, groupID string, n int) string {
	person := Slug(contactName, 20)
	if person == "" {
		person = "admin"
	}
	return withSuffix(person+"."+groupID, n, maxUserID)
}

func withSuffix(base string, n, max int) string {
	if n <= 1 {
		return base
	}
	suffix := fmt.Sprintf("-%d", n)
	if len(base)+len(suffix) > max {
		base = strings.TrimRight(base[:max-len(suffix)], "-.")
	}
	return base + suffix
}

// FolderName is the shared space's name as the association sees it: its
// name without characters that have a meaning in paths.
func FolderName(associationName string, n int) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) || strings.ContainsRune(`*?"<>|:`, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(associationName))
	name = strings.Trim(name, ". ")
	if len([]rune(name)) > 60 {
		name = string([]rune(name)[:60])
	}
	if name == "" {
		name = "Association"
	}
	if n > 1 {
		name = fmt.Sprintf("%s (%d)", name, n)
	}
	return name
}
