package nextcloud

import (
	"math"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxIDLength is the longest user or group id accepted. Nextcloud 27 accepts
// longer user ids through the API (a 65-character id was created in the lab)
// but newer versions refuse them and the database columns hold 64.
const MaxIDLength = 64

// reservedUserIDs are names that clash with folders of the data directory
// (Nextcloud's verifyUid, plus log files of newer versions).
var reservedUserIDs = []string{
	".htaccess", "files_external", "__groupfolders", ".ocdata",
	"owncloud.log", "nextcloud.log", "updater.log", "audit.log",
}

// ValidUserID checks id against Nextcloud's rules for new users, taking the
// stricter of versions 27 to 31: 1 to 64 characters among a-z A-Z 0-9, space
// and _.@-', no leading or trailing whitespace, not only dots, not a name
// reserved in the data directory. Nextcloud also treats ids case-insensitively
// ("ALICE" clashes with "alice"), which only the server can check.
func ValidUserID(id string) error {
	const op = "validate user id"
	switch {
	case id == "":
		return invalid(op, "empty user id")
	case len(id) > MaxIDLength:
		return invalid(op, "user id %q is longer than %d characters", id, MaxIDLength)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" _.@-'", r)) {
			return invalid(op, "user id %q: only a-z, A-Z, 0-9, spaces and _.@-' are allowed", id)
		}
	}
	switch {
	case strings.TrimSpace(id) != id:
		return invalid(op, "user id %q starts or ends with whitespace", id)
	case strings.Trim(id, ".") == "":
		return invalid(op, "user id %q consists of dots only", id)
	case strings.HasPrefix(strings.ToLower(id), "appdata_"):
		return invalid(op, "user id %q is reserved", id)
	}
	for _, r := range reservedUserIDs {
		if strings.EqualFold(id, r) {
			return invalid(op, "user id %q is reserved", id)
		}
	}
	return nil
}

// ValidGroupID checks an id for a group Archipel creates: 1 to 64 bytes
// (the gid column holds 64 characters; bytes is the stricter count for
// accented ids), valid UTF-8, no control characters, no leading or trailing
// whitespace, and no slash or backslash. Nextcloud itself accepts "/" in a
// group id, but the id then travels percent-encoded in URL paths (%2F), which
// Apache refuses by default (AllowEncodedSlashes Off) and some proxies decode.
func ValidGroupID(id string) error {
	const op = "validate group id"
	switch {
	case id == "":
		return invalid(op, "empty group id")
	case len(id) > MaxIDLength:
		return invalid(op, "group id %q is longer than %d bytes", id, MaxIDLength)
	case !utf8.ValidString(id):
		return invalid(op, "group id is not valid UTF-8")
	case strings.TrimSpace(id) != id:
		return invalid(op, "group id %q starts or ends with whitespace", id)
	case strings.ContainsAny(id, `/\`):
		return invalid(op, "group id %q contains a slash", id)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return invalid(op, "group id %q contains a control character", id)
		}
	}
	return nil
}

// sizePattern is what Nextcloud's computerFileSize understands, less the odd cases.
var sizePattern = regexp.MustCompile(`^(?i)([0-9]+(?:\.[0-9]+)?)\s*(b|k|kb|m|mb|g|gb|t|tb|p|pb)?$`)

// parseSize reads "5 GB", "1.5GB", "100 B" or "1073741824" into bytes, with
// binary multiples as Nextcloud does ("1 GB" is 1073741824).
func parseSize(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, strconv.ErrSyntax
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	switch strings.ToLower(m[2]) {
	case "k", "kb":
		v *= 1 << 10
	case "m", "mb":
		v *= 1 << 20
	case "g", "gb":
		v *= 1 << 30
	case "t", "tb":
		v *= 1 << 40
	case "p", "pb":
		v *= 1 << 50
	}
	if v > math.MaxInt64/2 {
		return 0, strconv.ErrRange
	}
	return int64(math.Round(v)), nil
}

// ValidQuota checks a user quota: "none" (unlimited), "default" (the server's
// default), or a positive size such as "5 GB" or "1073741824". Nextcloud 27
// answers a negative quota with a 500 and accepts a zero one, with which the
// user's first WebDAV request fails (503) because the skeleton files do not fit.
func ValidQuota(q string) error {
	const op = "validate quota"
	switch strings.ToLower(strings.TrimSpace(q)) {
	case "none", "default":
		return nil
	}
	n, err := parseSize(q)
	if err != nil {
		return invalid(op, "quota %q: give bytes, a size like \"5 GB\", \"none\" or \"default\"", q)
	}
	if n <= 0 {
		return invalid(op, "quota %q must be positive", q)
	}
	return nil
}

// validEmail accepts an empty string (no e-mail) or one bare address.
// Nextcloud 27 stores any string given at creation ("not-an-email" was
// accepted) but refuses it on edit, and cannot send the welcome mail to it.
func validEmail(op, email string) error {
	if email == "" {
		return nil
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || !strings.Contains(email, "@") {
		return invalid(op, "e-mail %q is not a bare address", email)
	}
	return nil
}

// languagePattern matches Nextcloud language codes: "fr", "de_DE", "es_419", "sr@latin".
var languagePattern = regexp.MustCompile(`^[a-z]{2,3}(?:_[A-Za-z0-9]{2,4})?(?:@[a-z]+)?$`)

func validLanguage(op, lang string) error {
	if !languagePattern.MatchString(lang) {
		return invalid(op, "language %q is not a Nextcloud language code", lang)
	}
	return nil
}

// validDisplayName: newer versions refuse display names over 64 characters.
// ShortDisplayName returns name cut to Nextcloud's limit of 64 characters
// (an ellipsis marks the cut), so that a long association name is shown
// shortened rather than refused; shorter names come back unchanged.
func ShortDisplayName(name string) string {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) <= MaxIDLength {
		return name
	}
	r := []rune(name)
	return strings.TrimSpace(string(r[:MaxIDLength-1])) + "…"
}

func validDisplayName(op, name string) error {
	if strings.TrimSpace(name) == "" {
		return invalid(op, "empty display name")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxIDLength {
		return invalid(op, "display name must be valid UTF-8 of at most %d characters", MaxIDLength)
	}
	return nil
}
