package server_test

import (
	"net/http"
	"strings"
	"testing"

	"archipel/rights"
)

func TestPrivacyPageStatesEveryRetentionRuleInBothLanguages(t *testing.T) {
	app := newTestApp(t)
	for _, lang := range []string{"fr", "en"} {
		res := app.browser(lang).get("/confidentialite?lang=" + lang)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: status %d", lang, res.Status)
		}
		rows := res.Doc.Find("table.retention tbody tr")
		if rows.Length() != len(rights.Retention) {
			t.Errorf("%s: %d rows, want one per declared kind (%d)", lang, rows.Length(), len(rights.Retention))
		}
		for _, r := range rights.Retention {
			t.Run("the "+r.Kind+" rule in "+lang, func(t *testing.T) {
				row := res.Doc.Find(`table.retention tr[data-kind="` + r.Kind + `"]`)
				if row.Length() != 1 {
					t.Fatalf("no row for %s", r.Kind)
				}
				if got, want := strings.TrimSpace(row.Find("th").Text()), adminT(t, lang, "rights.kind."+r.Kind); got != want {
					t.Errorf("label %q, want %q", got, want)
				}
				period := adminT(t, lang, "rights.period."+string(r.Keep.Unit), "Count", r.Keep.N)
				want := adminT(t, lang, "rights.kind."+r.Kind+".keep", "Period", period)
				if got := strings.TrimSpace(row.Find("td").Text()); got != want {
					t.Errorf("period %q, want %q", got, want)
				}
			})
		}
	}
}
