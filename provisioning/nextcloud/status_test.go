package nextcloud

import (
	"testing"
)

func TestStatus(t *testing.T) {
	s := newReplay(t, "01-status")
	st, err := s.adminClient(t).Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := Status{Installed: true, VersionString: "27.1.0", Version: Version{27, 1, 0}, ProductName: "Nextcloud"}
	if st != want {
		t.Errorf("status = %+v, want %+v", st, want)
	}
	if got := s.seen()[0].Header.Get("Authorization"); got != "" {
		t.Error("credentials were sent to status.php, which needs none")
	}
}

func TestCapabilities(t *testing.T) {
	s := newReplay(t)
	// The lab recorded capabilities as v1 JSON and v2 XML only; the data
	// part is the same in every version and the client accepts the v1
	// statuscode (100), which groupfolders uses too.
	s.alias("GET", "/ocs/v2.php/cloud/capabilities?format=json", "02-capabilities.v1")
	caps, err := s.adminClient(t).Capabilities(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := Capabilities{Version: Version{27, 1, 0}, VersionString: "27.1.0", FilesSharingAPI: true, GroupSharing: true,
		GroupFolders: true}
	if caps != want {
		t.Errorf("capabilities = %+v, want %+v", caps, want)
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Version
		wantErr bool
	}{
		{"the four-part version of status.php is read", "27.1.0.7", Version{27, 1, 0}, false},
		{"the version string is read", "27.1.0", Version{27, 1, 0}, false},
		{"a release-candidate suffix is ignored", "31.0.0 RC1", Version{31, 0, 0}, false},
		{"a major version alone is read", "30", Version{30, 0, 0}, false},
		{"an empty version is an error", "", Version{}, true},
		{"a non-numeric version is an error", "twenty-seven", Version{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseVersion(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseVersion(%q) = %v, %v", tc.in, got, err)
			}
		})
	}
}

func TestVersionCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b Version
		want int
	}{
		{"an older major is older", Version{27, 9, 9}, Version{28, 0, 0}, -1},
		{"equal versions are equal", Version{31, 0, 1}, Version{31, 0, 1}, 0},
		{"a newer patch is newer", Version{27, 1, 2}, Version{27, 1, 0}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Compare(tc.b); got != tc.want {
				t.Errorf("%v.Compare(%v) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
