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
	if strings.HasPrefix(base+"-", ProbeGroupPrefix) {
		// The connection test's groups are created and deleted under
		// that prefix: an association's group never takes it.
		base = Slug("asso-"+base, maxGroupID)
	}
	return withSuffix(base, n, maxGroupID)
}

// UserIDCandidate is the n-th id tried for the association's admin account:
// short enough to type (at most maxLogin characters), the contact's first
// name then the group's words without articles, "anne.amis-velo" for Anne
// Martin of Les Amis du Vélo. Uniqueness comes from n, never from adopting
// an existing account.
func UserIDCandidate(contactName, groupID string, n int) string {
	person, _, _ := strings.Cut(Slug(contactName, maxLogin), "-")
	if person == "" {
		person = "admin"
	}
	if len(person) > 12 {
		person = person[:12]
	}
	var words []string
	for _, w := range strings.Split(groupID, "-") {
		if w == "" {
			continue
		}
		// One letter is an article ("l", "d") or what was left of a word
		// when the group id was cut; a group's number ("-2") stays.
		if (len(w) > 1 || w[0] >= '0' && w[0] <= '9') && !loginStopWords[w] {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		words = []string{"asso"}
	}
	// Whole words while they fit; the suffix of later candidates needs
	// room too.
	room := maxLogin - len(person) - 1 - 3
	short := words[0]
	if len(short) > room {
		short = short[:room]
	}
	for _, w := range words[1:] {
		if len(short)+1+len(w) > room {
			break
		}
		short += "-" + w
	}
	return withSuffix(person+"."+short, n, maxLogin)
}

// maxLogin bounds the account name the association types.
const maxLogin = 32

// loginStopWords are left out of account names: articles and short words
// that make a name long without telling associations apart.
var loginStopWords = map[string]bool{"le": true, "la": true, "les": true, "l": true, "de": true, "du": true, "des": true,
	"d": true, "et": true, "a": true, "au": true, "aux": true, "en": true, "pour": true, "sur": true, "the": true, "of": true, "association": true}

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
