package nextcloud

import (
	"errors"
	"strings"
	"testing"
)

func TestValidUserID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"a plain id is valid", "alice", true},
		{"every allowed special character is valid", "e.v-a_n@x.y 'q", true},
		{"64 characters are valid", strings.Repeat("x", 64), true},
		{"65 characters are too many", strings.Repeat("x", 65), false},
		{"an empty id is invalid", "", false},
		{"a slash is invalid", "bad/user", false},
		{"an exclamation mark is invalid", "bad user!", false},
		{"an umlaut is invalid", "jürgen", false},
		{"only whitespace is invalid", "   ", false},
		{"a leading space is invalid", " alice", false},
		{"a single dot is invalid", ".", false},
		{"two dots are invalid", "..", false},
		{"dots only are invalid", "...", false},
		{"a name reserved in the data directory is invalid", "__groupfolders", false},
		{"an appdata folder name is invalid", "appdata_oc123", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidUserID(tc.id)
			if (err == nil) != tc.ok {
				t.Errorf("ValidUserID(%q) = %v", tc.id, err)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestValidGroupID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"a plain id is valid", "asso-42", true},
		{"spaces, hashes and accents are valid", "Bureau #1 élu", true},
		{"64 bytes are valid", strings.Repeat("g", 64), true},
		{"65 bytes are too many", strings.Repeat("g", 65), false},
		{"33 two-byte characters are too many bytes", strings.Repeat("é", 33), false},
		{"an empty id is invalid", "", false},
		{"a slash is invalid", "team/a", false},
		{"a trailing space is invalid", "team ", false},
		{"a control character is invalid", "team\n", false},
		{"invalid UTF-8 is invalid", "team\xff", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidGroupID(tc.id); (err == nil) != tc.ok {
				t.Errorf("ValidGroupID(%q) = %v", tc.id, err)
			}
		})
	}
}

func TestValidQuota(t *testing.T) {
	tests := []struct {
		name  string
		quota string
		ok    bool
		bytes int64
	}{
		{"gigabytes are binary", "5 GB", true, 5 << 30},
		{"bytes are accepted", "1073741824", true, 1 << 30},
		{"a unit without space is accepted", "100B", true, 100},
		{"a decimal size is accepted", "1.5 GB", true, 3 << 29},
		{"none is unlimited", "none", true, 0},
		{"default is the server's default", "default", true, 0},
		{"a word is invalid", "lots", false, 0},
		{"a negative quota is invalid", "-5", false, 0},
		{"a zero quota is invalid", "0 B", false, 0},
		{"an empty quota is invalid", "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidQuota(tc.quota)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidQuota(%q) = %v", tc.quota, err)
			}
			if tc.bytes != 0 {
				if n, err := parseSize(tc.quota); err != nil || n != tc.bytes {
					t.Errorf("parseSize(%q) = %d, %v, want %d", tc.quota, n, err, tc.bytes)
				}
			}
		})
	}
}

func TestNewUserValidate(t *testing.T) {
	tests := []struct {
		name string
		user NewUser
		ok   bool
	}{
		{"an id and an e-mail are enough", NewUser{ID: "carol", Email: "carol@example.test"}, true},
		{"a full user is valid", NewUser{ID: "bob", Email: "bob@example.test", DisplayName: "Bob Builder", Language: "fr", Quota: "1 GB", Groups: []string{"a"}}, true},
		{"a regional language is valid", NewUser{ID: "bob", Email: "bob@example.test", Language: "pt_BR"}, true},
		{"no e-mail is invalid", NewUser{ID: "dave"}, false},
		{"an e-mail with a name is invalid", NewUser{ID: "dave", Email: "Dave <dave@example.test>"}, false},
		{"a display name over 64 characters is invalid", NewUser{ID: "dave", Email: "dave@example.test", DisplayName: strings.Repeat("é", 65)}, false},
		{"a language that is not a code is invalid", NewUser{ID: "dave", Email: "dave@example.test", Language: "French"}, false},
		{"an empty group is invalid", NewUser{ID: "dave", Email: "dave@example.test", Groups: []string{""}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.user.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestListDecoding(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"a JSON list is read", `["a","b"]`, []string{"a", "b"}},
		{"a PHP array with holes, encoded as an object, is read in key order", `{"3":"c","1":"a","10":"d"}`, []string{"a", "c", "d"}},
		{"null is empty", `null`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l list
			if err := l.UnmarshalJSON([]byte(tc.json)); err != nil {
				t.Fatal(err)
			}
			if strings.Join(l, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %q, want %q", l, tc.want)
			}
		})
	}
}

func TestLooksLikeAppPassword(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		want   bool
	}{
		{"a password from getapppassword looks like one", "38kkPADMVPJZhuQbfJxSqbAJQA3M6VrSbhfwlTOtUbUkzP29RxMzaHLHKyF3nctLO9JoLasP", true},
		{"a password from the settings page looks like one", "AbCdE-fGhJk-MnPqR-sTwXy-23456", true},
		{"a login password does not", "Correct-Horse-Battery-42", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LooksLikeAppPassword(tc.secret); got != tc.want {
				t.Errorf("LooksLikeAppPassword(%q) = %v", tc.secret, got)
			}
		})
	}
}
