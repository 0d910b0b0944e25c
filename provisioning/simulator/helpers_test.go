package simulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// testAdminPassword is the administrator password of test simulators.
const testAdminPassword = "admin-secret-1"

// newServer serves a new simulator on a loopback listener for one test.
func newServer(t *testing.T, opts Options) (*Simulator, *httptest.Server) {
	t.Helper()
	if opts.AdminPassword == "" {
		opts.AdminPassword = testAdminPassword
	}
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv
}

// request describes one call made by a test.
type request struct {
	method, path string
	user, pass   string // Basic credentials; none when user is empty
	body         string
	header       map[string]string
}

// send makes the call and returns the status and body.
func send(t *testing.T, srv *httptest.Server, rq request) (int, string) {
	t.Helper()
	res, body := sendFull(t, srv, rq)
	return res.StatusCode, body
}

// sendFull makes the call and returns the whole response and its body.
func sendFull(t *testing.T, srv *httptest.Server, rq request) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(rq.method, srv.URL+rq.path, strings.NewReader(rq.body))
	if err != nil {
		t.Fatalf("build %s %s: %v", rq.method, rq.path, err)
	}
	if rq.user != "" {
		req.SetBasicAuth(rq.user, rq.pass)
	}
	if strings.HasPrefix(rq.path, "/ocs/") || strings.Contains(rq.path, "/apps/groupfolders/") {
		req.Header.Set("OCS-APIRequest", "true")
		if rq.body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", rq.method, rq.path, err)
	}
	return res, string(b)
}

// asAdmin makes a call with the test administrator's credentials.
func asAdmin(method, path, body string) request {
	return request{method: method, path: path, user: "admin", pass: testAdminPassword, body: body}
}

// mustSend makes the call and fails the test unless the status is want.
func mustSend(t *testing.T, srv *httptest.Server, rq request, want int) string {
	t.Helper()
	code, body := send(t, srv, rq)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d; body %.300s", rq.method, rq.path, code, want, body)
	}
	return body
}

// mustAddUser seeds an account or fails the test.
func mustAddUser(t *testing.T, sim *Simulator, a Account) {
	t.Helper()
	if err := sim.AddUser(a); err != nil {
		t.Fatalf("seed user %q: %v", a.ID, err)
	}
}
