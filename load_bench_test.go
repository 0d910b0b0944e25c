package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/database"
	"archipel/database/dbtest/dbseed"
)

// loadConcurrency is how many requests are in flight at once, as `hey -c 64`.
const loadConcurrency = 64

// BenchmarkLoad runs the real service (the `archipel` binary, `serve`, on
// embedded SQLite) seeded with 20 hosts, 1,000 requests and 10,000
// published showcase entries, and, in the same run, a bare gin handler that
// renders a page of the same size from memory, each in a process of its own. For each public page it sends
// b.N requests to each, 64 at a time over loopback, and reports Archipel's
// requests per second, its p50 and p99 latency, the bare handler's requests
// per second and their ratio (medians of three rounds); the "memory" line
// reports the service's resident memory when idle, after the load and at
// its peak:
//
//	go test -run '^$' -bench Load -benchtime 2000x .
//
// ARCHIPEL_LOAD_BINARY names a binary built elsewhere (another commit) to
// measure instead of building this one. ARCHIPEL_LOAD_PROFILE=DIR writes
// the service's profiles there (its heap when idle and after the load, its
// allocations, and a CPU profile of the first ARCHIPEL_LOAD_PROFILE_SECONDS
// of the load, 20 by default), for `go tool pprof`.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	bin := os.Getenv("ARCHIPEL_LOAD_BINARY")
	if bin == "" {
		bin = filepath.Join(dir, "archipel")
		// Built as the Dockerfile and the README build it.
		build := exec.Command("go", "build", "-tags", "nomsgpack", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	data := filepath.Join(dir, "data")
	env := append(os.Environ(), "ARCHIPEL_DATA_DIR="+data)
	migrate := exec.Command(bin, "migrate")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		b.Fatalf("archipel migrate: %v\n%s", err, out)
	}
	db, err := database.Open(ctx, "", data)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Add(-time.Hour)
	hosts := dbseed.SeedHosts(b, db, 20, now)
	dbseed.SeedRequests(b, db, hosts, 1000, now)
	dbseed.SeedShowcase(b, db, hosts, 10000, now)
	db.Close()

	addr := freeAddr(b)
	var logs lockedBuffer
	srv := exec.Command(bin, "serve")
	srv.Env = append(env, "ARCHIPEL_ADDR="+addr, "ARCHIPEL_MIGRATE=false")
	prof := newLoadProfiler(b)
	if prof != nil {
		srv.Env = append(srv.Env, "ARCHIPEL_METRICS_ADDR="+prof.addr, "ARCHIPEL_PPROF=true")
	}
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
	})
	base := "http://" + addr
	client := loadClient()
	waitReady(b, client, base+"/readyz", &logs)
	// Idle is once the day's tasks, which run at start, have ended.
	waitLogged(b, &logs, "start-up tasks ended")
	idle := residentKB(srv.Process.Pid)
	prof.save(b, "idle.heap", "heap")
	prof.startCPU(b)
	idleAnon, idleFile := procStatus(srv.Process.Pid, "RssAnon:"), procStatus(srv.Process.Pid, "RssFile:")

	entry := firstEntry(b, client, base)
	pages := []struct{ name, path string }{
		{"landing", "/"},
		{"flow_first_step", "/demande/association"},
		{"showcase", "/showcase"},
		{"showcase_page_40", "/showcase?page=40"},
		{"showcase_entry", entry},
		{"hosts", "/hosts"},
		{"figures", "/figures"},
		{"feed", "/showcase.atom"},
		{"api_showcase", "/api/v1/showcase"},
	}
	bodies, types := map[string][]byte{}, map[string]string{}
	for _, p := range pages {
		bodies[p.name], types[p.name] = fetch(b, client, base+p.path)
	}
	bare := startBare(b, client, bodies, types)
	for _, p := range pages {
		body := bodies[p.name]
		b.Run(p.name, func(b *testing.B) {
			// Three rounds, each Archipel then the bare handler, so that
			// both meet the same moments of a busy machine; medians.
			var got, ref []loadResult
			for range loadRounds {
				got = append(got, runLoad(b, client, base+p.path, b.N))
				ref = append(ref, runLoad(b, client, bare+"/"+p.name, b.N))
			}
			g, r := median(got), median(ref)
			b.ReportMetric(g.rps, "rps")
			b.ReportMetric(float64(g.p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(g.p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(r.rps, "bare-rps")
			b.ReportMetric(float64(r.p99.Microseconds())/1000, "bare-p99-ms")
			b.ReportMetric(g.rps/r.rps, "ratio")
			b.ReportMetric(float64(len(body))/1024, "page-KB")
		})
	}
	prof.save(b, "loaded.heap", "heap")
	prof.save(b, "allocs", "allocs")
	b.Run("memory", func(b *testing.B) {
		b.ReportMetric(float64(idle)/1024, "idle-rss-MB")
		// What the idle figure is made of: the heap and stacks (anonymous)
		// and the pages of the binary and the database file read so far.
		b.ReportMetric(float64(idleAnon)/1024, "idle-anon-MB")
		b.ReportMetric(float64(idleFile)/1024, "idle-file-MB")
		b.ReportMetric(float64(residentKB(srv.Process.Pid))/1024, "loaded-rss-MB")
		b.ReportMetric(float64(peakKB(srv.Process.Pid))/1024, "peak-rss-MB")
	})
}

// loadProfiler fetches the service's profiles from its metrics port
// (ARCHIPEL_PPROF) into a directory; a nil one does nothing.
type loadProfiler struct {
	dir, addr string
	client    *http.Client
}

func newLoadProfiler(b *testing.B) *loadProfiler {
	dir := os.Getenv("ARCHIPEL_LOAD_PROFILE")
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	return &loadProfiler{dir: dir, addr: freeAddr(b), client: &http.Client{Timeout: 5 * time.Minute}}
}

// save writes the named profile (after a garbage collection for the heap).
func (p *loadProfiler) save(b *testing.B, file, name string) {
	if p == nil {
		return
	}
	if err := p.fetch(name+"?gc=1", file); err != nil {
		b.Fatal(err)
	}
}

// startCPU profiles the CPU while the load runs; the profile is written
// when its time is over, or cut short by the end of the benchmark.
func (p *loadProfiler) startCPU(b *testing.B) {
	if p == nil {
		return
	}
	secs := os.Getenv("ARCHIPEL_LOAD_PROFILE_SECONDS")
	if secs == "" {
		secs = "20"
	}
	done := make(chan error, 1)
	go func() { done <- p.fetch("profile?seconds="+secs, "cpu.prof") }()
	b.Cleanup(func() {
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
}

func (p *loadProfiler) fetch(query, file string) error {
	resp, err := p.client.Get("http://" + p.addr + "/debug/pprof/" + query)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/%s = %d", query, resp.StatusCode)
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// lockedBuffer is a process's output, written by exec's goroutine and read
// by the benchmark.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitLogged waits, at most two minutes, for the service to log line.
func waitLogged(b *testing.B, logs *lockedBuffer, line string) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(logs.String(), line) {
		if time.Now().After(deadline) {
			b.Fatalf("archipel serve did not log %q in two minutes:\n%s", line, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadRounds is how many times each page and its reference are measured.
const loadRounds = 3

// median takes each figure's median over the rounds.
func median(rs []loadResult) loadResult {
	pick := func(f func(loadResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return loadResult{
		rps: pick(func(r loadResult) float64 { return r.rps }),
		p50: time.Duration(pick(func(r loadResult) float64 { return float64(r.p50) })),
		p99: time.Duration(pick(func(r loadResult) float64 { return float64(r.p99) })),
	}
}

// loadResult is what one page's load measured.
type loadResult struct {
	rps      float64
	p50, p99 time.Duration
}

// runLoad sends n GET requests to url, loadConcurrency at a time, and
// fails on any answer other than 200.
func runLoad(b *testing.B, client *http.Client, url string, n int) loadResult {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Value
	lat := make([][]time.Duration, loadConcurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range loadConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Store(fmt.Sprintf("GET %s = %d", url, resp.StatusCode))
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if msg := failed.Load(); msg != nil {
		b.Fatal(msg)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pick := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	return loadResult{rps: float64(len(all)) / elapsed.Seconds(), p50: pick(0.50), p99: pick(0.99)}
}

// envBareDir, when set, makes this test binary the reference server: gin
// in release mode with no middleware, rendering each page's bytes (files
// NAME.body and NAME.type in that directory) through html/template from
// memory, in a process of its own as Archipel is, listening on
// envBareAddr until killed.
const (
	envBareDir  = "ARCHIPEL_LOAD_BARE_DIR"
	envBareAddr = "ARCHIPEL_LOAD_BARE_ADDR"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envBareDir); dir != "" {
		if err := serveBare(dir, os.Getenv(envBareAddr)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

var bareTemplate = template.Must(template.New("page").Parse(`{{.}}`))

func serveBare(dir, addr string) error {
	type copyOf struct {
		body        template.HTML
		contentType string
	}
	pages := map[string]copyOf{}
	names, err := filepath.Glob(filepath.Join(dir, "*.body"))
	if err != nil {
		return err
	}
	for _, n := range names {
		body, err := os.ReadFile(n)
		if err != nil {
			return err
		}
		ctype, err := os.ReadFile(strings.TrimSuffix(n, ".body") + ".type")
		if err != nil {
			return err
		}
		pages[strings.TrimSuffix(filepath.Base(n), ".body")] = copyOf{template.HTML(body), string(ctype)}
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/:page", func(c *gin.Context) {
		p := pages[c.Param("page")]
		var buf bytes.Buffer
		if err := bareTemplate.Execute(&buf, p.body); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.Data(http.StatusOK, p.contentType, buf.Bytes())
	})
	return http.ListenAndServe(addr, r)
}

// startBare writes the pages' copies and starts the reference server.
func startBare(b *testing.B, client *http.Client, pages map[string][]byte, types map[string]string) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "bare")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	for name, body := range pages {
		if err := os.WriteFile(filepath.Join(dir, name+".body"), body, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".type"), []byte(types[name]), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	addr := freeAddr(b)
	var logs lockedBuffer
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envBareDir+"="+dir, envBareAddr+"="+addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	var any string
	for name := range pages {
		any = name
		break
	}
	waitReady(b, client, "http://"+addr+"/"+any, &logs)
	return "http://" + addr
}

// loadClient keeps one connection per worker alive, as a load tool does.
func loadClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: loadConcurrency, MaxIdleConnsPerHost: loadConcurrency,
			DisableCompression: true,
		},
	}
}

func freeAddr(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady polls the readiness route until the service answers 200, for
// at most a minute (the start migrates nothing: the data is seeded).
func waitReady(b *testing.B, client *http.Client, url string, logs *lockedBuffer) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("archipel serve not ready after a minute:\n%s", logs.String())
}

func fetch(b *testing.B, client *http.Client, url string) ([]byte, string) {
	b.Helper()
	resp, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s = %d %v", url, resp.StatusCode, err)
	}
	return body, resp.Header.Get("Content-Type")
}

var entryLink = regexp.MustCompile(`href="(/showcase/[0-9a-f-]{36})"`)

func firstEntry(b *testing.B, client *http.Client, base string) string {
	b.Helper()
	body, _ := fetch(b, client, base+"/showcase")
	m := entryLink.FindSubmatch(body)
	if m == nil {
		b.Fatal("no entry linked from /showcase")
	}
	return string(m[1])
}

// residentKB and peakKB read a process's resident memory (VmRSS) and its
// peak (VmHWM) from /proc, in KiB; 0 where /proc has no such line.
func residentKB(pid int) int { return procStatus(pid, "VmRSS:") }
func peakKB(pid int) int     { return procStatus(pid, "VmHWM:") }

func procStatus(pid int, key string) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return 0
}
