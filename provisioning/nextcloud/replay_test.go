package nextcloud

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordedDir holds the exchanges recorded from a real Nextcloud 27.1
// (copied into the repository: tests never read outside it).
const recordedDir = "../testdata/nextcloud/nc27"

// csrfExchange is the recorded answer of a route called without OCS-APIRequest.
const csrfExchange = "73-getapppassword-no-ocs-header.v2"

// exchange is one line of recorded/index.jsonl.
type exchange struct {
	Name        string            `json:"name"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	User        *string           `json:"user"`
	ReqHeaders  map[string]string `json:"req_headers"`
	ReqBody     *string           `json:"req_body"`
	Status      int               `json:"status"`
	RespHeaders map[string]string `json:"resp_headers"`
	Body        string            `json:"body"`
	Auth        string            `json:"auth"`
}

// loadExchanges reads every recorded exchange; the tests are meaningless without them.
func loadExchanges(t *testing.T) []exchange { return loadExchangesFrom(t, recordedDir) }

// loadExchangesFrom reads the exchanges recorded in dir.
func loadExchangesFrom(t *testing.T, dir string) []exchange {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "index.jsonl"))
	if err != nil {
		t.Fatalf("the recorded Nextcloud exchanges are required: %v", err)
	}
	defer f.Close()
	var all []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var ex exchange
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			t.Fatalf("index.jsonl line %d: %v", len(all)+1, err)
		}
		all = append(all, ex)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read index.jsonl: %v", err)
	}
	if len(all) < 100 {
		t.Fatalf("index.jsonl holds %d exchanges; expected the full recording", len(all))
	}
	return all
}

// seenRequest is what the client sent.
type seenRequest struct {
	Method string
	Path   string // escaped
	Query  url.Values
	Header http.Header
	Body   []byte
}

// form parses the body as a form.
func (r seenRequest) form() url.Values {
	v, _ := url.ParseQuery(string(r.Body))
	return v
}

// replayServer answers with recorded exchanges. Each test names the
// exchanges in play (the recording repeats the same request at different
// moments of the server's life); a request matches one by method, path,
// query, Depth header, account, and the form fields both have in common.
type replayServer struct {
	t       *testing.T
	URL     string
	all     []exchange
	pinned  []exchange
	aliases map[string]string

	// allowMissingOCSHeader lets a test strip OCS-APIRequest on purpose.
	allowMissingOCSHeader bool
	// once answers each pinned exchange at most once, in order: the 34
	// recordings repeat one request with different answers over time.
	once bool
	used map[int]bool

	mu       sync.Mutex
	requests []seenRequest
}

// newReplay starts a server replaying the named exchanges and checks, when
// the test ends, that every OCS and groupfolders request carried
// OCS-APIRequest and that every request carried Archipel's User-Agent.
func newReplay(t *testing.T, names ...string) *replayServer {
	t.Helper()
	return newReplayOf(t, loadExchanges(t), names...)
}

// newReplay34 replays exchanges recorded on Nextcloud 34.0.1, each answered
// once, in the order given.
func newReplay34(t *testing.T, names ...string) *replayServer {
	t.Helper()
	s := newReplayOf(t, loadExchangesFrom(t, recorded34Dir), names...)
	s.once = true
	return s
}

// recorded34Dir holds the exchanges recorded from a real Nextcloud 34.0.1.
const recorded34Dir = "../testdata/nextcloud/nc34"

func newReplayOf(t *testing.T, all []exchange, names ...string) *replayServer {
	t.Helper()
	s := &replayServer{t: t, all: all, aliases: map[string]string{}, used: map[int]bool{}}
	for _, name := range names {
		found := false
		for _, ex := range s.all {
			if ex.Name == name {
				s.pinned = append(s.pinned, ex)
				found = true
			}
		}
		if !found {
			t.Fatalf("no recorded exchange named %q", name)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		for _, r := range s.seen() {
			if !s.allowMissingOCSHeader && needsOCSHeader(r.Path) && r.Header.Get("OCS-APIRequest") != "true" {
				t.Errorf("%s %s was sent without OCS-APIRequest: true", r.Method, r.Path)
			}
			if !strings.HasPrefix(r.Header.Get("User-Agent"), "Archipel/") {
				t.Errorf("%s %s was sent with User-Agent %q", r.Method, r.Path, r.Header.Get("User-Agent"))
			}
		}
	})
	return s
}

// alias answers requests for method and target ("/path?query") with the
// named exchange, for calls the lab recorded only in another format.
func (s *replayServer) alias(method, target, name string) {
	s.t.Helper()
	s.exchange(name)
	s.aliases[method+" "+target] = name
}

// exchange returns the first exchange named name.
func (s *replayServer) exchange(name string) exchange {
	s.t.Helper()
	for _, ex := range s.all {
		if ex.Name == name {
			return ex
		}
	}
	s.t.Fatalf("no recorded exchange named %q", name)
	return exchange{}
}

func needsOCSHeader(p string) bool {
	return strings.HasPrefix(p, "/ocs/") || strings.HasPrefix(p, "/index.php/apps/groupfolders/")
}

func (s *replayServer) seen() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.requests...)
}

// count returns how many requests reached the server.
func (s *replayServer) count() int { return len(s.seen()) }

func (s *replayServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := seenRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	ex, ok := s.match(req, r)
	if !ok {
		s.t.Errorf("no recorded exchange among %v matches %s %s?%s (user %q, body %q)",
			names(s.pinned), r.Method, req.Path, r.URL.RawQuery, user(r), body)
		w.WriteHeader(http.StatusTeapot)
		return
	}
	// Nextcloud's CSRF check: a route recorded with OCS-APIRequest answers 412 without it.
	if ex.ReqHeaders["OCS-APIRequest"] == "true" && r.Header.Get("OCS-APIRequest") != "true" {
		ex = s.exchange(csrfExchange)
	}
	for k, v := range ex.RespHeaders {
		switch {
		case strings.EqualFold(k, "Content-Length"):
		case strings.EqualFold(k, "Set-Cookie"):
			for _, c := range strings.Split(v, "\n") {
				w.Header().Add(k, c)
			}
		default:
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(ex.Status)
	_, _ = io.WriteString(w, ex.Body)
}

func (s *replayServer) match(req seenRequest, r *http.Request) (exchange, bool) {
	if name, ok := s.aliases[r.Method+" "+req.Path+"?"+r.URL.RawQuery]; ok {
		return s.exchange(name), true
	}
	for i, ex := range s.pinned {
		if s.once && s.used[i] {
			continue
		}
		exPath, exQuery, _ := strings.Cut(ex.Path, "?")
		if ex.Method != req.Method || exPath != req.Path {
			continue
		}
		if q, _ := url.ParseQuery(exQuery); !sameValues(q, req.Query) {
			continue
		}
		if d := ex.ReqHeaders["Depth"]; d != "" && r.Header.Get("Depth") != d {
			continue
		}
		if u := user(r); u == "" && strings.Contains(ex.Auth, "session-cookie") && r.Header.Get("Cookie") != "" {
			// A session request names no account: its cookies do.
		} else if (ex.User == nil && u != "") || (ex.User != nil && *ex.User != u) {
			continue
		}
		if ex.ReqHeaders["Content-Type"] == "application/x-www-form-urlencoded" && ex.ReqBody != nil {
			recorded, _ := url.ParseQuery(*ex.ReqBody)
			if !commonFieldsEqual(recorded, req.form()) {
				continue
			}
		}
		if s.once {
			s.mu.Lock()
			s.used[i] = true
			s.mu.Unlock()
		}
		return ex, true
	}
	return exchange{}, false
}

func user(r *http.Request) string {
	u, _, _ := r.BasicAuth()
	return u
}

func names(exs []exchange) []string {
	var n []string
	for _, ex := range exs {
		n = append(n, ex.Name)
	}
	return n
}

func sameValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		if strings.Join(va, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

// commonFieldsEqual compares the fields present in both forms: the client
// never sends the passwords the lab used, and sends an e-mail where the lab
// did not, but ids and values must be the recorded ones.
func commonFieldsEqual(recorded, sent url.Values) bool {
	common := 0
	for k, v := range recorded {
		if sv, ok := sent[k]; ok {
			common++
			if strings.Join(v, "\x00") != strings.Join(sv, "\x00") {
				return false
			}
		}
	}
	return common > 0 || len(recorded) == 0
}

// newTestClient returns a client of baseURL acting as user.
func newTestClient(t *testing.T, baseURL, user, password string) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: baseURL, User: user, AppPassword: password, Timeout: 5 * time.Second, UserAgent: UserAgent("test")})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// adminClient returns a client of s acting as the lab's admin.
func (s *replayServer) adminClient(t *testing.T) *Client {
	t.Helper()
	return newTestClient(t, s.URL, "admin", "ADMIN-APP-PASSWORD")
}

// wantKind fails unless err is of kind want (nil meaning success).
func wantKind(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && err == nil:
		t.Fatalf("got no error, want %v", want)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("got %v, want kind %v", err, want)
	}
}

// replayCase is one call made against recorded exchanges.
type replayCase struct {
	name      string
	exchanges []string // none: the client must refuse before sending
	as        string   // the account the client acts as; admin when empty
	call      func(ctx context.Context, c *Client) error
	want      error
}

// runReplayCases runs each case against its own replay server and checks
// the kind of error and that exactly one request (none when no exchange is
// named) reached the server: the client never retries.
func runReplayCases(t *testing.T, cases []replayCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchanges...)
			as := tc.as
			if as == "" {
				as = "admin"
			}
			c := newTestClient(t, s.URL, as, "APP-PASSWORD")
			err := tc.call(t.Context(), c)
			wantKind(t, err, tc.want)
			want := 0
			if len(tc.exchanges) > 0 {
				want = 1
			}
			if got := s.count(); got != want {
				t.Errorf("%d requests reached the server, want %d", got, want)
			}
		})
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stripHeader returns an HTTP client that removes header from every request.
func stripHeader(header string) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Del(header)
		return http.DefaultTransport.RoundTrip(r)
	})}
}
