package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"archipel/database/dbtest/dbseed"
)

// seedPublished inserts n published entries (with their requests and
// cases) spread over the three hosts of the harness and 17 more.
func seedPublished(tb testing.TB, e *showcaseEnv, n int) {
	tb.Helper()
	hosts := append([]string{"h-lyon", "h-all", "h-paused"}, dbseed.SeedHosts(tb, e.db, 17, e.clock)...)
	dbseed.SeedShowcase(tb, e.db, hosts, n, e.now())
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
