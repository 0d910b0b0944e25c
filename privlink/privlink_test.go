package privlink

import "testing"

func TestNewTokensAreLongUniqueAndStoredOnlyAsTheirHash(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		tok, hash := New()
		if len(tok) != 43 || len(hash) != 64 || hash == tok || Hash(tok) != hash || seen[tok] {
			t.Fatalf("token %q hash %q", tok, hash)
		}
		seen[tok] = true
	}
}
