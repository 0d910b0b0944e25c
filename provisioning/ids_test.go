package provisioning

import (
	"strconv"
	"strings"
	"testing"

	"archipel/provisioning/nextcloud"
)

func TestSlug(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"accents are transliterated", "Les Amis du Vélo", "les-amis-du-velo"},
		{"ligatures become two letters", "Cœur d'Œuvre", "coeur-d-oeuvre"},
		{"punctuation collapses into single dashes", "  A.S.C. -- Pétanque!!  ", "a-s-c-petanque"},
		{"non-latin scripts vanish", "Клуб 42", "42"},
		{"an empty name stays empty", "!!!", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Slug(tt.in, 40); got != tt.want {
				t.Fatalf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCandidatesAreValidNextcloudIDsOfBoundedLength(t *testing.T) {
	long := strings.Repeat("Association très très longue de Saint-Étienne ", 5)
	for n := 1; n <= 12; n++ {
		g := GroupIDCandidate(long, n)
		u := UserIDCandidate("Marie-Élisabeth de La Tour d'Auvergne", g, n)
		if len(g) > maxGroupID || len(u) > maxLogin {
			t.Fatalf("candidate %d too long: %q (%d), %q (%d)", n, g, len(g), u, len(u))
		}
		if err := nextcloud.ValidGroupID(g); err != nil {
			t.Fatalf("group id %q refused: %v", g, err)
		}
		if err := nextcloud.ValidUserID(u); err != nil {
			t.Fatalf("user id %q refused: %v", u, err)
		}
		if n > 1 && !strings.HasSuffix(g, "-"+strconv.Itoa(n)) {
			t.Fatalf("candidate %d lacks its suffix: %q", n, g)
		}
	}
	if got := GroupIDCandidate("?!", 1); got != "association" {
		t.Fatalf("empty slug gives %q", got)
	}
}

func TestFolderName(t *testing.T) {
	if got := FolderName("Les amis / du: vélo", 1); got != "Les amis  du vélo" {
		t.Fatalf("got %q", got)
	}
	if got := FolderName("Club", 2); got != "Club (2)" {
		t.Fatalf("got %q", got)
	}
}

func TestUserIDCandidatesAreShortAndReadable(t *testing.T) {
	tests := []struct {
		contact, association string
		n                    int
		want                 string
	}{
		{"Anne Martin", "Les Amis du Vélo", 1, "anne.amis-velo"},
		{"Anne Martin", "Les Amis du Vélo", 2, "anne.amis-velo-2"},
		{"Camille Martin", "Les Jardins partagés de la Croix-Rousse", 1, "camille.jardins-partages"},
		{"Marie-Élisabeth de La Tour d'Auvergne", "Association sportive et culturelle des habitants du quartier", 1, "marie.sportive-culturelle"},
		{"", "Les", 1, "admin.asso"},
		{"Maximilienne-Anastasia Dupont", "Anticonstitutionnellementissimes", 11, "maximilienne.anticonstitution-11"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := UserIDCandidate(tt.contact, GroupIDCandidate(tt.association, 1), tt.n)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(got) > 32 {
				t.Errorf("%q is %d characters long", got, len(got))
			}
			if err := nextcloud.ValidUserID(got); err != nil {
				t.Errorf("%q refused: %v", got, err)
			}
		})
	}
}

func TestGroupIDsNeverTakeTheProbePrefix(t *testing.T) {
	for _, name := range []string{"Archipel Probe", "archipel-probe-1234", "ARCHIPEL PROBE des jardins"} {
		for n := 1; n <= 3; n++ {
			id := GroupIDCandidate(name, n)
			if strings.HasPrefix(id, ProbeGroupPrefix) || id+"-" == ProbeGroupPrefix || len(id) > maxGroupID {
				t.Errorf("GroupIDCandidate(%q, %d) = %q: the connection test's prefix %q", name, n, id, ProbeGroupPrefix)
			}
		}
	}
	if got := GroupIDCandidate("Archipel Probe", 1); got != "asso-archipel-probe" {
		t.Errorf("GroupIDCandidate(Archipel Probe) = %q, want asso-archipel-probe", got)
	}
}
