package onboarding

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeRNA(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		valid bool
	}{
		{"a canonical RNA is returned as is", "W751515517", "W751515517", true},
		{"a lower-case w is upper-cased", "w931012663", "W931012663", true},
		{"spaces around and inside are removed", "  W542 000 093 ", "W542000093", true},
		{"no-break spaces from a word processor are removed", "W751\u00a0515\u202f517", "W751515517", true},
		{"an overseas greffe letter is accepted", "W9P1002760", "W9P1002760", true},
		{"a lower-case greffe letter is upper-cased", "w9r1000123", "W9R1000123", true},
		{"a Corsican greffe is accepted", "W2A1001234", "W2A1001234", true},
		{"an empty string is rejected", "", "", false},
		{"nine digits without the W are rejected", "751515517", "", false},
		{"a W with too few digits is rejected", "W12", "", false},
		{"a W with ten digits is rejected", "W7515155170", "", false},
		{"another leading letter is rejected", "X751515517", "", false},
		{"a letter right after the W is rejected", "WA51515517", "", false},
		{"a letter after the greffe is rejected", "W75A515517", "", false},
		{"a W in the middle is rejected", "678W23456", "", false},
		{"punctuation is rejected", "Wa1#89sf&h", "", false},
		{"dots are not accepted in an RNA", "W751.515.517", "", false},
		{"a non-ASCII letter that upper-cases to ASCII is rejected", "W9\u017f1000123", "", false},
		{"full-width digits are rejected", "W７51515517", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeRNA(tt.in)
			if got != tt.want || ok != tt.valid {
				t.Errorf("NormalizeRNA(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.valid)
			}
		})
	}
}

func TestNormalizeSIREN(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		valid bool
	}{
		{"Google France's SIREN is valid", "443061841", "443061841", true},
		{"La Poste's SIREN is valid", "356000000", "356000000", true},
		{"spaces between groups are removed", "732 829 320", "732829320", true},
		{"dots between groups are removed", "732.829.320", "732829320", true},
		{"a wrong check digit is rejected", "443061842", "", false},
		{"two swapped digits are rejected", "443061481", "", false},
		{"eight digits are rejected", "44306184", "", false},
		{"a SIRET is not a SIREN", "44306184100047", "", false},
		{"letters are rejected", "44306184A", "", false},
		{"hyphens are not accepted", "443-061-841", "", false},
		{"an empty string is rejected", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeSIREN(tt.in)
			if got != tt.want || ok != tt.valid {
				t.Errorf("NormalizeSIREN(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.valid)
			}
		})
	}
}

func TestNormalizeSIRET(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		valid bool
	}{
		{"Google France's SIRET is valid", "44306184100047", "44306184100047", true},
		{"INSEE's documented example is valid", "73282932000074", "73282932000074", true},
		{"spaces as printed on invoices are removed", "443 061 841 00047", "44306184100047", true},
		{"dots are removed", "443.061.841.00047", "44306184100047", true},
		{"La Poste's head office passes Luhn", "35600000000048", "35600000000048", true},
		{"a La Poste office whose digits sum to a multiple of 5 is valid", "35600000009075", "35600000009075", true},
		{"another La Poste office whose digits sum to 35 is valid", "35600000009093", "35600000009093", true},
		{"a La Poste office whose digits do not sum to a multiple of 5 is rejected", "35600000009090", "", false},
		{"the La Poste rule does not apply to other SIRENs", "44306184100045", "", false},
		{"a wrong check digit is rejected", "44306184100048", "", false},
		{"a SIRET whose SIREN part is invalid is rejected", "50000000000000", "", false},
		{"a SIRET passing Luhn on 14 digits but built on an invalid SIREN is rejected", "12345678900007", "", false},
		{"thirteen digits are rejected", "4430618410004", "", false},
		{"a SIREN is not a SIRET", "443061841", "", false},
		{"Monaco's alphanumeric establishment codes are rejected", "MONACOCONFO001", "", false},
		{"an empty string is rejected", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeSIRET(tt.in)
			if got != tt.want || ok != tt.valid {
				t.Errorf("NormalizeSIRET(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.valid)
			}
		})
	}
}

func TestNormalizeLegalID(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		kind      string
		canonical string
		valid     bool
	}{
		{"an RNA is recognised", "w751 515 517", LegalIDRNA, "W751515517", true},
		{"a SIREN is recognised", "443 061 841", LegalIDSIREN, "443061841", true},
		{"a SIRET is recognised", "443 061 841 00047", LegalIDSIRET, "44306184100047", true},
		{"a La Poste SIRET is recognised", "35600000009075", LegalIDSIRET, "35600000009075", true},
		{"a SIREN with a bad check digit is not anything", "443061842", "", "", false},
		{"a SIRET with a bad check digit is not anything", "44306184100048", "", "", false},
		{"ten digits are not anything", "4430618410", "", "", false},
		{"an empty string is not anything", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, canonical, ok := NormalizeLegalID(tt.in)
			if kind != tt.kind || canonical != tt.canonical || ok != tt.valid {
				t.Errorf("NormalizeLegalID(%q) = %q, %q, %t; want %q, %q, %t",
					tt.in, kind, canonical, ok, tt.kind, tt.canonical, tt.valid)
			}
		})
	}
}

func TestDepartementFromPostcode(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		valid bool
	}{
		{"a Paris postcode gives 75", "75001", "75", true},
		{"a postcode with a leading zero keeps it", "01000", "01", true},
		{"the highest mainland département is 95", "95000", "95", true},
		{"surrounding and inner spaces are ignored", " 75 001 ", "75", true},
		{"a CEDEX code uses the same prefix", "33175", "33", true},
		{"Ajaccio is in Corse-du-Sud", "20000", "2A", true},
		{"Ajaccio's second code is in Corse-du-Sud", "20090", "2A", true},
		{"20167 around Ajaccio is in Corse-du-Sud", "20167", "2A", true},
		{"the last geographic code of the south is in Corse-du-Sud", "20190", "2A", true},
		{"Ajaccio CEDEX 1 is in Corse-du-Sud", "20187", "2A", true},
		{"Ajaccio CEDEX 9 in the 207xx range is in Corse-du-Sud", "20701", "2A", true},
		{"Ajaccio's 20900 is in Corse-du-Sud", "20900", "2A", true},
		{"Bastia is in Haute-Corse", "20200", "2B", true},
		{"Solenzara Air base, in Ventiseri, is in Haute-Corse", "20223", "2B", true},
		{"Bastia CEDEX in the 202xx range is in Haute-Corse", "20297", "2B", true},
		{"Bastia CEDEX in the 204xx range is in Haute-Corse", "20401", "2B", true},
		{"Biguglia is in Haute-Corse", "20620", "2B", true},
		{"an unallocated Corsican 208xx code is rejected", "20800", "", false},
		{"Guadeloupe gives 971", "97100", "971", true},
		{"Martinique gives 972", "97200", "972", true},
		{"Guyane gives 973", "97300", "973", true},
		{"La Réunion gives 974", "97400", "974", true},
		{"Mayotte gives 976", "97600", "976", true},
		{"a Réunion CEDEX code in 977xx gives 974", "97744", "974", true},
		{"a Réunion CEDEX code in 978xx gives 974", "97821", "974", true},
		{"Saint-Barthélemy is in no département", "97133", "", false},
		{"Saint-Martin is in no département", "97150", "", false},
		{"Saint-Pierre-et-Miquelon is in no département", "97500", "", false},
		{"an unallocated 970xx code is rejected", "97000", "", false},
		{"Monaco is not France", "98000", "", false},
		{"French Polynesia is in no département", "98714", "", false},
		{"00000 is rejected", "00000", "", false},
		{"a 96xxx code is rejected", "96000", "", false},
		{"a 99xxx code is rejected", "99999", "", false},
		{"four digits are rejected", "7500", "", false},
		{"six digits are rejected", "750010", "", false},
		{"letters are rejected", "abcde", "", false},
		{"a Corsican département code is not a postcode", "2A000", "", false},
		{"an empty string is rejected", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DepartementFromPostcode(tt.in)
			if got != tt.want || ok != tt.valid {
				t.Errorf("DepartementFromPostcode(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.valid)
			}
		})
	}
}

func TestDepartements(t *testing.T) {
	all := Departements()

	t.Run("there are 101 départements", func(t *testing.T) {
		if len(all) != 101 {
			t.Errorf("len(Departements()) = %d, want 101", len(all))
		}
	})

	t.Run("they are sorted with Corsica between 19 and 21 and overseas last", func(t *testing.T) {
		for i := 1; i < len(all); i++ {
			if departementRank(all[i-1].Code) >= departementRank(all[i].Code) {
				t.Errorf("%s is listed before %s", all[i-1].Code, all[i].Code)
			}
		}
		if got := []string{all[18].Code, all[19].Code, all[20].Code, all[21].Code}; !slices.Equal(got, []string{"19", "2A", "2B", "21"}) {
			t.Errorf("codes 19 to 22 = %v, want [19 2A 2B 21]", got)
		}
		if got := all[len(all)-1].Code; got != "976" {
			t.Errorf("last code = %q, want 976", got)
		}
	})

	t.Run("every entry has a name and a listed region", func(t *testing.T) {
		regions := Regions()
		for _, d := range all {
			if d.Name == "" || !slices.Contains(regions, d.Region) {
				t.Errorf("%+v has no name or an unlisted region", d)
			}
		}
	})

	t.Run("every region has at least one département", func(t *testing.T) {
		for _, r := range Regions() {
			if !slices.ContainsFunc(all, func(d Departement) bool { return d.Region == r }) {
				t.Errorf("region %q has no département", r)
			}
		}
	})

	t.Run("every département can be reached from a postcode", func(t *testing.T) {
		for _, d := range all {
			if !slices.ContainsFunc(samplePostcodes(d.Code), func(pc string) bool {
				got, ok := DepartementFromPostcode(pc)
				return ok && got == d.Code
			}) {
				t.Errorf("no sample postcode gives %s", d.Code)
			}
		}
	})

	t.Run("the returned slice is a copy", func(t *testing.T) {
		all[0].Name = "changed"
		if d, _ := LookupDepartement("01"); d.Name != "Ain" {
			t.Errorf("LookupDepartement(01).Name = %q after changing the returned slice", d.Name)
		}
	})
}

func TestLookupDepartement(t *testing.T) {
	tests := []struct {
		name  string
		code  string
		want  Departement
		found bool
	}{
		{"a mainland code is found with its accents", "07", Departement{"07", "Ardèche", "Auvergne-Rhône-Alpes"}, true},
		{"Paris is in Île-de-France", "75", Departement{"75", "Paris", "Île-de-France"}, true},
		{"a lower-case Corsican code is found", "2a", Departement{"2A", "Corse-du-Sud", "Corse"}, true},
		{"an overseas code is found", "974", Departement{"974", "La Réunion", "La Réunion"}, true},
		{"surrounding spaces are ignored", " 2B ", Departement{"2B", "Haute-Corse", "Corse"}, true},
		{"a code without its leading zero is not found", "1", Departement{}, false},
		{"the old Corsican code 20 is not found", "20", Departement{}, false},
		{"Saint-Pierre-et-Miquelon is not a département", "975", Departement{}, false},
		{"96 is not a département", "96", Departement{}, false},
		{"an empty code is not found", "", Departement{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LookupDepartement(tt.code)
			if got != tt.want || ok != tt.found {
				t.Errorf("LookupDepartement(%q) = %+v, %t; want %+v, %t", tt.code, got, ok, tt.want, tt.found)
			}
		})
	}
}

func TestRegions(t *testing.T) {
	regions := Regions()

	t.Run("there are 18 regions", func(t *testing.T) {
		if len(regions) != 18 {
			t.Errorf("len(Regions()) = %d, want 18", len(regions))
		}
	})

	t.Run("they are in alphabetical order ignoring accents", func(t *testing.T) {
		if !slices.IsSortedFunc(regions, func(a, b string) int {
			return strings.Compare(foldAccents(a), foldAccents(b))
		}) {
			t.Errorf("Regions() = %q is not sorted", regions)
		}
	})

	t.Run("Île-de-France sorts with the I's", func(t *testing.T) {
		i := slices.Index(regions, "Île-de-France")
		if i < 1 || regions[i-1] != "Hauts-de-France" || regions[i+1] != "La Réunion" {
			t.Errorf("Regions() = %q", regions)
		}
	})
}

// departementRank orders codes as INSEE lists them: 2A and 2B where 20 was.
func departementRank(code string) int {
	switch code {
	case "2A":
		return 201
	case "2B":
		return 202
	}
	n := 0
	for _, c := range code {
		n = n*10 + int(c-'0')
	}
	// Scaled so that 2A and 2B fit between 19 and 21; three-digit overseas
	// codes land above 95 on their own.
	return n * 10
}

// samplePostcodes returns postcodes that should fall in the département code.
func samplePostcodes(code string) []string {
	switch code {
	case "2A":
		return []string{"20000"}
	case "2B":
		return []string{"20200"}
	}
	if len(code) == 3 {
		return []string{code + "00"}
	}
	return []string{code + "000", code + "100"}
}

// foldAccents lowers a region name and strips the accents French uses, so
// that names compare as a French reader sorts them.
func foldAccents(s string) string {
	return strings.NewReplacer(
		"à", "a", "â", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
		"î", "i", "ï", "i", "ô", "o", "ù", "u", "û", "u", "ü", "u",
	).Replace(strings.ToLower(s))
}

func FuzzNormalizeRNA(f *testing.F) {
	for _, s := range []string{"W751515517", "w931 012 663", "W9P1002760", "W2A1001234", "", "W12", "Wa1#89sf&h", "W9\u017f1000123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizeRNA(s)
		if !ok {
			if got != "" {
				t.Fatalf("NormalizeRNA(%q) = %q, false; want an empty result", s, got)
			}
			return
		}
		if !isCanonicalRNA(got) {
			t.Fatalf("NormalizeRNA(%q) = %q, not of the form W, digit, digit or A-Z, 7 digits", s, got)
		}
		if again, ok := NormalizeRNA(got); !ok || again != got {
			t.Fatalf("NormalizeRNA(%q) = %q, %t; canonical forms must normalize to themselves", got, again, ok)
		}
		if kind, c, ok := NormalizeLegalID(s); !ok || kind != LegalIDRNA || c != got {
			t.Fatalf("NormalizeLegalID(%q) = %q, %q, %t; want rna, %q", s, kind, c, ok, got)
		}
	})
}

func FuzzNormalizeSIRET(f *testing.F) {
	for _, s := range []string{"44306184100047", "443 061 841 00047", "443.061.841.00047", "35600000000048", "35600000009075", "35600000009090", "50000000000000", "", "MONACOCONFO001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizeSIRET(s)
		if !ok {
			if got != "" {
				t.Fatalf("NormalizeSIRET(%q) = %q, false; want an empty result", s, got)
			}
			return
		}
		if len(got) != 14 || !allDigits(got) {
			t.Fatalf("NormalizeSIRET(%q) = %q, not 14 digits", s, got)
		}
		if again, ok := NormalizeSIRET(got); !ok || again != got {
			t.Fatalf("NormalizeSIRET(%q) = %q, %t; canonical forms must normalize to themselves", got, again, ok)
		}
		if _, ok := NormalizeSIREN(got[:9]); !ok {
			t.Fatalf("NormalizeSIRET(%q) = %q, whose SIREN %q is invalid", s, got, got[:9])
		}
		if !luhnValid(got) && got[:9] != laPosteSIREN {
			t.Fatalf("NormalizeSIRET(%q) = %q fails Luhn outside La Poste", s, got)
		}
		if kind, c, ok := NormalizeLegalID(s); !ok || kind != LegalIDSIRET || c != got {
			t.Fatalf("NormalizeLegalID(%q) = %q, %q, %t; want siret, %q", s, kind, c, ok, got)
		}
	})
}

func FuzzDepartementFromPostcode(f *testing.F) {
	for _, s := range []string{"75001", "01000", "20000", "20200", "20701", "20800", "97133", "97400", "97744", "98000", "00000", "7500", "abcde", " 75 001 ", "2A000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := DepartementFromPostcode(s)
		if !ok {
			if got != "" {
				t.Fatalf("DepartementFromPostcode(%q) = %q, false; want an empty result", s, got)
			}
			return
		}
		pc := removeSpaces(s)
		if len(pc) != 5 || !allDigits(pc) {
			t.Fatalf("DepartementFromPostcode(%q) accepted something that is not five digits", s)
		}
		d, found := LookupDepartement(got)
		if !found || d.Code != got {
			t.Fatalf("DepartementFromPostcode(%q) = %q, which LookupDepartement does not know", s, got)
		}
		if !strings.HasPrefix(pc, got) && !strings.HasPrefix(got, "2") && !strings.HasPrefix(pc, "977") && !strings.HasPrefix(pc, "978") {
			t.Fatalf("DepartementFromPostcode(%q) = %q, which is not a prefix of the postcode", s, got)
		}
		if again, ok := DepartementFromPostcode(pc); !ok || again != got {
			t.Fatalf("DepartementFromPostcode(%q) = %q, %t; want %q once spaces are removed", pc, again, ok, got)
		}
	})
}

// isCanonicalRNA checks the canonical shape independently of NormalizeRNA.
func isCanonicalRNA(s string) bool {
	if !utf8.ValidString(s) || len(s) != 10 || s[0] != 'W' || !isDigit(s[1]) {
		return false
	}
	if c := s[2]; !isDigit(c) && (c < 'A' || c > 'Z') {
		return false
	}
	return allDigits(s[3:])
}
