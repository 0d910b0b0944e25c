package onboarding

import (
	"strings"
	"unicode"
)

// Kinds of legal identifier returned by NormalizeLegalID.
const (
	// LegalIDRNA is the kind of a Répertoire national des associations number.
	LegalIDRNA = "rna"
	// LegalIDSIREN is the kind of an INSEE number identifying a legal entity.
	LegalIDSIREN = "siren"
	// LegalIDSIRET is the kind of an INSEE number identifying one establishment.
	LegalIDSIRET = "siret"
)

// laPosteSIREN is the SIREN under which La Poste regrouped all its
// establishments in 2010. They are too many for the NIC to carry a Luhn check
// digit, so INSEE checks them with a rule of their own (see NormalizeSIRET).
const laPosteSIREN = "356000000"

// NormalizeRNA returns the canonical upper-case form of an RNA number and whether it is well formed.
func NormalizeRNA(s string) (string, bool) {
	// Users type "w751 515 517" or paste it with no-break spaces: accept a
	// lower-case w and spaces anywhere.
	//
	// The number is usually described as "W followed by 9 digits", but its
	// third character belongs to the registering greffe and is a letter in
	// Corsica (W2A…, W2B…) and overseas (W9R… La Réunion, W9P… Polynésie,
	// W9M…, W9C…, W9T…). Every RNA in the data.subvention database has the
	// shape W, digit, digit or letter, seven digits
	// (betagouv/api-subventions-asso#1931 and #3210), and
	// demarche.numerique.gouv.fr accepts letters too; rejecting them would
	// turn away overseas associations. Alsace-Moselle associations are
	// registered with a tribunal, not in the RNA, and have no such number.
	//
	// Only ASCII is accepted: strings.ToUpper would turn "ſ" into "S".
	b := []byte(removeSpaces(s))
	if len(b) != 10 || (b[0] != 'W' && b[0] != 'w') || !isDigit(b[1]) {
		return "", false
	}
	b[0] = 'W'
	switch c := b[2]; {
	case isDigit(c), 'A' <= c && c <= 'Z':
	case 'a' <= c && c <= 'z':
		b[2] = c - 'a' + 'A'
	default:
		return "", false
	}
	if !allDigits(string(b[3:])) {
		return "", false
	}
	return string(b), true
}

// NormalizeSIREN returns the 9 digits of a SIREN, ignoring spaces and dots, and whether its Luhn check digit holds.
func NormalizeSIREN(s string) (string, bool) {
	d, ok := digitsOnly(s, 9)
	if !ok || !luhnValid(d) {
		return "", false
	}
	return d, true
}

// NormalizeSIRET returns the 14 digits of a SIRET, ignoring spaces and dots, and whether it passes INSEE's checks.
func NormalizeSIRET(s string) (string, bool) {
	d, ok := digitsOnly(s, 14)
	if !ok {
		return "", false
	}
	// INSEE derives every SIRET from a SIREN, whose own check digit catches
	// typos in the first nine digits that the 14-digit Luhn misses.
	if _, ok := NormalizeSIREN(d[:9]); !ok {
		return "", false
	}
	if luhnValid(d) {
		return d, true
	}
	// La Poste: only the head office, 35600000000048, passes Luhn; for the
	// other establishments the sum of the 14 digits must be a multiple of 5
	// (French Wikipedia, "Système d'identification du répertoire des
	// établissements", La Poste section; pass-culture and other public
	// services implement the same rule).
	if d[:9] == laPosteSIREN && digitSum(d)%5 == 0 {
		return d, true
	}
	return "", false
}

// NormalizeLegalID recognises an RNA, a SIREN or a SIRET and returns its kind (LegalIDRNA, LegalIDSIREN or LegalIDSIRET) and canonical form.
func NormalizeLegalID(s string) (kind string, canonical string, ok bool) {
	// The three shapes cannot overlap: an RNA starts with W, a SIREN has 9
	// digits and a SIRET 14.
	if c, ok := NormalizeRNA(s); ok {
		return LegalIDRNA, c, true
	}
	if c, ok := NormalizeSIREN(s); ok {
		return LegalIDSIREN, c, true
	}
	if c, ok := NormalizeSIRET(s); ok {
		return LegalIDSIRET, c, true
	}
	return "", "", false
}

// DepartementFromPostcode returns the code of the département, as listed by Departements, that a five-digit French postcode belongs to.
func DepartementFromPostcode(pc string) (code string, ok bool) {
	// Spaces are ignored ("75 001"); anything but five digits is rejected.
	//
	// About twenty postcodes serve communes across a département border
	// (05110 delivers communes of both 04 and 05). A postcode alone cannot
	// tell them apart, so we return the département of the distributing
	// office, which is what the first digits say.
	pc = removeSpaces(pc)
	if len(pc) != 5 || !allDigits(pc) {
		return "", false
	}
	switch pc[:2] {
	case "00", "96", "99":
		// Never allocated to a département.
		return "", false
	case "98":
		// Monaco (980xx) is not France; 984xx–988xx are Pacific
		// collectivités, not départements.
		return "", false
	case "20":
		return corsicaFromPostcode(pc)
	case "97":
		return overseasFromPostcode(pc)
	}
	return pc[:2], true
}

// corsicaFromPostcode splits 20xxx postcodes between Corse-du-Sud (2A) and Haute-Corse (2B).
func corsicaFromPostcode(pc string) (string, bool) {
	// Corsica kept the pre-1976 prefix 20 when it was split, so the third
	// digit decides:
	//   - 200xx–201xx: 2A. Ajaccio and the south (20000–20190), including
	//     20167, whose communes (Mezzavia, Afa, Alata, Appietto…) are all in
	//     2A, and Ajaccio CEDEX codes (20187 to 20193).
	//   - 202xx–206xx: 2B. Bastia (20200) to Biguglia (20620), and Bastia
	//     CEDEX codes (20288–20297, 20401–20411). 20223, "Solenzara Air", is
	//     the code of air base 126, in Ventiseri (2B), and stays in the range.
	//   - 207xx and 209xx: 2A. Ajaccio CEDEX 9 uses 20700, 20701 and 20704
	//     (commercial court, URSSAF, SRAL), and 20900 is also Ajaccio; the
	//     common "below 20200 is 2A" split would send them to 2B.
	//   - 208xx: not allocated as far as we found; rejected rather than
	//     guessed.
	switch pc[2] {
	case '0', '1', '7', '9':
		return "2A", true
	case '2', '3', '4', '5', '6':
		return "2B", true
	}
	return "", false
}

// overseasFromPostcode maps 97xxx postcodes to an overseas département.
func overseasFromPostcode(pc string) (string, bool) {
	// Saint-Barthélemy (97133) and Saint-Martin (97150) share Guadeloupe's
	// prefix but have been collectivités d'outre-mer since 2007, outside any
	// département: reject them rather than pretend they are in 971.
	//
	// Their INSEE codes are 977 and 978, but no postcode starts with those
	// for them: 977xx and 978xx are La Réunion CEDEX codes (97706 and 97744
	// Saint-Denis Cedex 9, 97717 Saint-Denis town hall, 97821 Le Port Cedex),
	// so they give 974.
	//
	// 975xx is Saint-Pierre-et-Miquelon, a collectivité since 1985; 970xx
	// and 979xx are not allocated.
	switch pc[2] {
	case '1':
		if pc == "97133" || pc == "97150" {
			return "", false
		}
		return "971", true
	case '2', '3', '4', '6':
		return pc[:3], true
	case '7', '8':
		return "974", true
	}
	return "", false
}

// removeSpaces drops every Unicode space, including the no-break spaces
// that word processors put in formatted numbers.
func removeSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// digitsOnly removes spaces and dots and reports whether exactly n ASCII digits remain.
func digitsOnly(s string, n int) (string, bool) {
	d := strings.Map(func(r rune) rune {
		if r == '.' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if len(d) != n || !allDigits(d) {
		return "", false
	}
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// luhnValid reports whether a string of ASCII digits passes the Luhn check:
// from the right, every second digit is doubled (minus 9 above 9) and the
// total must be a multiple of 10.
func luhnValid(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

func digitSum(d string) int {
	sum := 0
	for i := 0; i < len(d); i++ {
		sum += int(d[i] - '0')
	}
	return sum
}
