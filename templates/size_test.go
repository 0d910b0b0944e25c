package templates

import "testing"

func TestSize(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"fr", 0, "0 Mo"},
		{"fr", 1000, "< 1 Mo"},
		{"fr", 350 << 20, "350\u00a0Mo"},
		{"fr", 51200 << 20, "50\u00a0Go"},
		{"fr", 12<<30 + 512<<20, "12,5\u00a0Go"},
		{"en", 12<<30 + 512<<20, "12.5\u00a0GB"},
		{"en", 3 << 40, "3\u00a0TB"},
	}
	for _, tt := range tests {
		if got := Size(tt.lang, tt.n); got != tt.want {
			t.Errorf("Size(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}
