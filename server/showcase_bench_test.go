package server_test

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"archipel/onboarding"
)

// seedPublished inserts n published entries (with their requests and
// cases) spread over 20 hosts, every département and random services, in
// batches, as fast as the database takes them.
func seedPublished(tb testing.TB, e *showcaseEnv, n int) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	hosts := []string{"h-lyon", "h-all", "h-paused"}
	for i := 0; i < 17; i++ {
		id := fmt.Sprintf("h-bench-%02d", i)
		if _, err := e.db.ExecContext(e.ctx, `INSERT INTO hosts (id, slug, name, departements, services, created_at, updated_at)
			VALUES ($1, $2, $3, '*', 'files', $4, $4)`, id, fmt.Sprintf("hebergeur-%02d", i), fmt.Sprintf("Hébergeur %02d", i), e.clock); err != nil {
			tb.Fatal(err)
		}
		hosts = append(hosts, id)
	}
	deps := onboarding.Departements()
	story := strings.Repeat("Avant, les comptes rendus circulaient par courriel et se perdaient. ", 6) +
		"\nAujourd'hui, le bureau partage un agenda et des dossiers communs."
	start := e.clock.Add(-365 * 24 * time.Hour)
	const batch = 100
	err := e.db.Tx(e.ctx, func(tx *sql.Tx) error {
		for from := 0; from < n; from += batch {
			k := min(batch, n-from)
			var apps, cases, entries, svcRows []string
			var appArgs, caseArgs, entryArgs, svcArgs []any
			for i := from; i < from+k; i++ {
				appID, caseID, entryID := uuid.NewString(), uuid.NewString(), uuid.NewString()
				host := hosts[rng.IntN(len(hosts))]
				d := deps[rng.IntN(len(deps))]
				at := start.Add(time.Duration(i) * time.Minute)
				name := fmt.Sprintf("Association n°%d", i)
				var svcs []string
				for _, s := range onboarding.Services {
					if rng.IntN(3) == 0 {
						svcs = append(svcs, s)
					}
				}
				sum := sha256.Sum256([]byte(name))
				apps = append(apps, row(&appArgs, `(%s, 'ready', 6, 'fr', '{}', %s, %s, %s, %s, %s, %[6]s)`,
					appID, name, d.Code, host, fmt.Sprintf("c%d@asso.example", i), at))
				cases = append(cases, row(&caseArgs, `(%s, %s, %s, 'closed', 'success', %s, %[4]s, %[4]s)`, caseID, appID, host, at))
				entries = append(entries, row(&entryArgs, `(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'published', 1, 1, 1, %s, %[11]s, %[11]s)`,
					entryID, caseID, host, name, "Ville "+d.Name, d.Code, d.Region, story, strings.Join(svcs, ","), hex.EncodeToString(sum[:]), at))
				for _, s := range svcs {
					svcRows = append(svcRows, row(&svcArgs, `(%s, %s, %s)`, entryID, s, at))
				}
			}
			for _, q := range []struct {
				prefix string
				rows   []string
				args   []any
			}{
				{`INSERT INTO applications (id, status, step, language, answers, association_name, departement, host_id, contact_email,
					created_at, updated_at) VALUES `, apps, appArgs},
				{`INSERT INTO cases (id, application_id, host_id, stage, outcome, opened_at, updated_at, closed_at) VALUES `, cases, caseArgs},
				{`INSERT INTO showcase_entries (id, case_id, host_id, association_name, town, departement, region, story, services, text_digest,
					status, version, consent_version, decided_version, published_at, created_at, updated_at) VALUES `, entries, entryArgs},
				{`INSERT INTO showcase_entry_services (entry_id, service, published_at) VALUES `, svcRows, svcArgs},
			} {
				if len(q.rows) == 0 {
					continue
				}
				if _, err := tx.ExecContext(e.ctx, q.prefix+strings.Join(q.rows, ", "), q.args...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
	if _, err := e.db.ExecContext(e.ctx, `UPDATE showcase_state SET revision = revision + 1, changed_at = $1 WHERE id = 1`, e.now()); err != nil {
		tb.Fatal(err)
	}
	// Fresh statistics, as a long-running database has.
	if _, err := e.db.ExecContext(e.ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}

// row appends values to args and returns the row's SQL, format's %s
// replaced by their $n placeholders (an explicit index repeats one).
func row(args *[]any, format string, values ...any) string {
	ph := make([]any, len(values))
	for i, v := range values {
		*args = append(*args, v)
		ph[i] = fmt.Sprintf("$%d", len(*args))
	}
	return fmt.Sprintf(format, ph...)
}

// BenchmarkShowcase measures, with 10,000 published entries, the latency
// of the public surfaces, and reports its median and 99th percentile:
//
//	go test ./server -run '^$' -bench Showcase -benchtime 300x
func BenchmarkShowcase(b *testing.B) {
	e := newShowcaseEnv(b)
	seedPublished(b, e, 10000)
	first := e.get("/showcase")
	if first.Status != http.StatusOK || first.Doc().Find("main article").Length() != 20 {
		b.Fatalf("GET /showcase = %d", first.Status)
	}
	surfaces := []struct{ name, path, header string }{
		{"page", "/showcase", ""},
		{"page_400", "/showcase?page=400", ""},
		{"filtered_region_service", "/showcase?region=Bretagne&service=video", ""},
		{"filtered_host_departement", "/showcase?host=recif-solidaire&departement=69", ""},
		{"entry", "", ""},
		{"feed", "/showcase.atom", ""},
		{"api", "/api/v1/showcase", ""},
		{"api_filtered_100", "/api/v1/showcase?service=files&per_page=100&page=3", ""},
		{"page_304", "/showcase", "etag"},
		{"hosts", "/hosts", ""},
		{"figures", "/figures", ""},
	}
	for _, s := range surfaces {
		b.Run(s.name, func(b *testing.B) {
			path := s.path
			if s.name == "entry" {
				href, _ := first.Doc().Find("main article a").First().Attr("href")
				path = href
			}
			var opts []any
			want := http.StatusOK
			if s.header == "etag" {
				opts = append(opts, "If-None-Match: "+first.Header.Get("ETag"))
				want = http.StatusNotModified
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				r := e.get(path, opts...)
				lat = append(lat, time.Since(t0))
				if r.Status != want {
					b.Fatalf("GET %s = %d", path, r.Status)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p int) float64 { return float64(lat[min(len(lat)-1, len(lat)*p/100)].Microseconds()) / 1000 }
			b.ReportMetric(pct(50), "p50-ms")
			b.ReportMetric(pct(99), "p99-ms")
		})
	}
}
