package training

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
	_ "time/tzdata" // Europe/Paris even where the system has no zoneinfo
)

// newToken returns a private link's token (256 random bits) and the hash
// that is all the database keeps of it.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is the stored form of a token: SHA-256, hex.
func hashToken(t string) string {
	s := sha256.Sum256([]byte(t))
	return hex.EncodeToString(s[:])
}

// plausibleToken rejects at once what newToken cannot have made, so that a
// guessed link costs no database lookup; the answer is the same not found.
func plausibleToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Paris is where dates are shown and typed; they are stored in UTC.
var Paris = mustLoadLocation("Europe/Paris")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day is a calendar day's length as the schedules count it.
const day = 24 * time.Hour
