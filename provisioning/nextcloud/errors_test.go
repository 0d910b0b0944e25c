package nextcloud

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAuthenticationFailures(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
		user     string
		password string
		message  string
	}{
		{"a wrong password answers XML although JSON was asked", "B1-wrong-password.v2.json", "admin", "wrong-password", "Unauthorised"},
		{"an unknown user is unauthorized", "B3-unknown-user", "nobody", "whatever", "Unauthorised"},
		{"no credentials is unauthorized", "B0-no-auth.v2.json", "", "", "Current user is not logged in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			_, err := newTestClient(t, s.URL, tc.user, tc.password).ListUsers(t.Context(), "")
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("got %v, want ErrUnauthorized", err)
			}
			if e.HTTPStatus != 401 || e.OCSStatus != 997 || e.Message != tc.message {
				t.Errorf("got %+v", e)
			}
			if Transient(err) {
				t.Error("a 401 is transient")
			}
			if n := s.count(); n != 1 {
				t.Errorf("the 401 was retried: %d requests", n)
			}
		})
	}
}

func TestDisabledAccountIsUnauthorized(t *testing.T) {
	s := newReplay(t, "B4-disabled-user-login")
	_, err := newTestClient(t, s.URL, "bob", "BOB-PASSWORD").CurrentUser(t.Context())
	wantKind(t, err, ErrUnauthorized)
	if n := s.count(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestServerFailures covers answers the lab could not produce on demand;
// the 500 body is the recorded one, the others follow Nextcloud's code
// (ocs/v2.php and base.php answer 503 with X-Nextcloud-Maintenance-Mode,
// the latter with Retry-After: 120 and an HTML page).
func TestServerFailures(t *testing.T) {
	recorded500 := loadNamed(t, "30-edit-quota-negative.v2").Body
	tests := []struct {
		name        string
		status      int
		header      map[string]string
		body        string
		want        error
		retryAfter  time.Duration
		maintenance bool
	}{
		{name: "an internal server error is transient", status: 500, body: recorded500, want: ErrUnavailable},
		{name: "a bad gateway from a proxy is transient", status: 502, body: "<html>Bad Gateway</html>", want: ErrUnavailable},
		{name: "OCS in maintenance mode is transient", status: 503,
			header: map[string]string{"X-Nextcloud-Maintenance-Mode": "1", "Content-Type": "application/json"},
			body:   `{"ocs":{"meta":{"status":"failure","statuscode":503,"message":"Service unavailable"},"data":[]}}`,
			want:   ErrUnavailable, maintenance: true},
		{name: "the maintenance page asks to retry after two minutes", status: 503,
			header: map[string]string{"X-Nextcloud-Maintenance-Mode": "1", "Retry-After": "120", "Content-Type": "text/html"},
			body:   "<!DOCTYPE html><html>maintenance</html>", want: ErrUnavailable, retryAfter: 120 * time.Second, maintenance: true},
		{name: "too many requests is transient with its delay", status: 429, header: map[string]string{"Retry-After": "7"},
			body: `{"message":"Reached maximum delay"}`, want: ErrUnavailable, retryAfter: 7 * time.Second},
		{name: "a redirect is not followed", status: 302, header: map[string]string{"Location": "https://elsewhere.example/"},
			want: ErrInvalid},
		{name: "a 200 that is not OCS means a wrong base URL", status: 200, body: "<html>login</html>", want: ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests++
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			err := newTestClient(t, srv.URL, "admin", "APP-PASSWORD").EditUser(t.Context(), "alice", FieldQuota, "1 GB")
			wantKind(t, err, tc.want)
			if Transient(err) != (tc.want == ErrUnavailable) {
				t.Errorf("Transient = %v", Transient(err))
			}
			if got := RetryAfter(err); got != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tc.retryAfter)
			}
			var e *Error
			if errors.As(err, &e) && e.Maintenance != tc.maintenance {
				t.Errorf("Maintenance = %v", e.Maintenance)
			}
			if requests != 1 {
				t.Errorf("%d requests, want 1", requests)
			}
		})
	}
}

func TestNetworkFailuresAreTransient(t *testing.T) {
	t.Run("a refused connection is transient", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := newTestClient(t, url, "admin", "APP-PASSWORD")
		for name, call := range map[string]func() error{
			"OCS":    func() error { _, err := c.GetUser(t.Context(), "bob"); return err },
			"WebDAV": func() error { _, err := c.Stat(t.Context(), "admin", "/"); return err },
			"status": func() error { _, err := c.Status(t.Context()); return err },
		} {
			if err := call(); !Transient(err) || !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s: got %v, want a transient error", name, err)
			}
		}
	})
	t.Run("a call slower than the timeout is transient", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server notice the client hanging up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
		t.Cleanup(srv.Close)
		c, err := New(Config{BaseURL: srv.URL, User: "admin", AppPassword: "APP-PASSWORD", Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func() error{
			"OCS":    func() error { _, err := c.GetUser(t.Context(), "bob"); return err },
			"WebDAV": func() error { return c.Upload(t.Context(), "admin", "/x.txt", []byte("x")) },
		} {
			start := time.Now()
			err := call()
			if !Transient(err) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: got %v, want a transient deadline error", name, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s: the timeout took %v", name, d)
			}
		}
	})
	t.Run("a call whose context is already done sends nothing", func(t *testing.T) {
		requests := 0
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests++ }))
		t.Cleanup(srv.Close)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := newTestClient(t, srv.URL, "admin", "APP-PASSWORD").GetUser(ctx, "bob")
		if !errors.Is(err, context.Canceled) || requests != 0 {
			t.Errorf("got %v after %d requests", err, requests)
		}
	})
}

// TestUnrecordedRoutes checks the calls the lab did not record against
// Nextcloud's documented routes, answered with a recorded success envelope.
func TestUnrecordedRoutes(t *testing.T) {
	ok := loadNamed(t, "10-create-group.v2").Body
	tests := []struct {
		name       string
		call       func(ctx context.Context, c *Client) error
		wantMethod string
		wantPath   string
	}{
		{"resending the welcome mail posts to the user's welcome route",
			func(ctx context.Context, c *Client) error { return c.ResendWelcome(ctx, "carol") },
			"POST", "/ocs/v2.php/cloud/users/carol/welcome"},
		{"deleting the app password deletes core's apppassword",
			func(ctx context.Context, c *Client) error { return c.DeleteAppPassword(ctx) },
			"DELETE", "/ocs/v2.php/core/apppassword"},
		{"deleting a share deletes it by id",
			func(ctx context.Context, c *Client) error { return c.DeleteShare(ctx, "1") },
			"DELETE", "/ocs/v2.php/apps/files_sharing/api/v1/shares/1"},
		{"a user id with a space and a quote travels percent-encoded",
			func(ctx context.Context, c *Client) error {
				_, err := c.SubadminGroups(ctx, "e.v-a_n@x.y 'q")
				return err
			},
			"GET", "/ocs/v2.php/cloud/users/e.v-a_n@x.y%20%27q/subadmins"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, ok)
			}))
			t.Cleanup(srv.Close)
			err := tc.call(t.Context(), newTestClient(t, srv.URL, "admin", "APP-PASSWORD"))
			if err != nil && !strings.Contains(err.Error(), "unexpected response data") {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("no request")
			}
			if got.Method != tc.wantMethod || got.URL.EscapedPath() != tc.wantPath || got.URL.Query().Get("format") != "json" ||
				got.Header.Get("OCS-APIRequest") != "true" {
				t.Errorf("sent %s %s (OCS-APIRequest %q)", got.Method, got.URL.RequestURI(), got.Header.Get("OCS-APIRequest"))
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	err := &Error{Op: `create group "eng"`, Kind: ErrAlreadyExists, HTTPStatus: 400, OCSStatus: 102, Message: "group exists"}
	want := `nextcloud: create group "eng": already exists: group exists (HTTP 400, OCS 102)`
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		http, ocs int
		perCall   codes
		want      error
	}{
		{"a v2 failure uses the call's meaning of its code", 400, 102, codes{102: ErrAlreadyExists}, ErrAlreadyExists},
		{"an unlisted v2 failure is invalid", 400, 107, nil, ErrInvalid},
		{"a v1 envelope's 404 is not found despite HTTP 200", 200, 404, nil, ErrNotFound},
		{"998 is not found", 404, 998, nil, ErrNotFound},
		{"997 is unauthorized whatever the HTTP status", 200, 997, nil, ErrUnauthorized},
		{"a call's table cannot hide a 401", 401, 0, codes{401: ErrNotFound}, ErrUnauthorized},
		{"507 is the quota", 507, 0, nil, ErrQuota},
		{"a WebDAV lock is transient", 423, 0, nil, ErrUnavailable},
		{"403 is forbidden", 403, 403, nil, ErrForbidden},
		{"a v1 server error is transient despite HTTP 200", 200, 996, nil, ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.http, tc.ocs, tc.perCall); got != tc.want {
				t.Errorf("classify(%d, %d) = %v, want %v", tc.http, tc.ocs, got, tc.want)
			}
		})
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"seconds are read", "120", 2 * time.Minute},
		{"an HTTP date is read relative to now", "Sat, 21 Nov 2026 05:00:30 GMT", 30 * time.Second},
		{"a past date means no delay", "Sat, 21 Nov 2026 04:00:00 GMT", 0},
		{"garbage means no delay", "soon", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseRetryAfter(tc.in, now); got != tc.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"a server root is accepted", Config{BaseURL: "https://cloud.example", User: "a", AppPassword: "p"}, false},
		{"a server in a subfolder is accepted", Config{BaseURL: "https://host.example/nextcloud/", User: "a", AppPassword: "p"}, false},
		{"no credentials are accepted for the app password exchange", Config{BaseURL: "https://cloud.example"}, false},
		{"a user without app password is refused", Config{BaseURL: "https://cloud.example", User: "a"}, true},
		{"credentials in the URL are refused", Config{BaseURL: "https://a:p@cloud.example", User: "a", AppPassword: "p"}, true},
		{"another scheme is refused", Config{BaseURL: "ftp://cloud.example"}, true},
		{"a URL ending in index.php is refused", Config{BaseURL: "https://cloud.example/index.php"}, true},
		{"a URL without host is refused", Config{BaseURL: "/nextcloud"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Errorf("New = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
		})
	}
}

// loadNamed returns the first recorded exchange called name.
func loadNamed(t *testing.T, name string) exchange {
	t.Helper()
	for _, ex := range loadExchanges(t) {
		if ex.Name == name {
			return ex
		}
	}
	t.Fatalf("no recorded exchange named %q", name)
	return exchange{}
}
