package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCreateUser(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		body     string
		wantHTTP int
		wantCode int
		wantMsg  string
	}{
		{"a user with a strong password is created", "/ocs/v2.php/cloud/users?format=json",
			"userid=bob&password=Correct-Horse-Battery-43", 200, 200, "OK"},
		{"an id differing only by case is refused on v2", "/ocs/v2.php/cloud/users?format=json",
			"userid=ALICE&password=Correct-Horse-Battery-42", 400, 102, "User already exists"},
		{"v1 answers HTTP 200 with the failure code", "/ocs/v1.php/cloud/users?format=json",
			"userid=Alice&password=Correct-Horse-Battery-42", 200, 102, "User already exists"},
		{"a short common password is refused with both hints", "/ocs/v2.php/cloud/users?format=json",
			"userid=erin&password=abc", 400, 107, msgCommonPass + " Password needs to be at least 10 characters long."},
		{"a common password of ten characters is refused", "/ocs/v2.php/cloud/users?format=json",
			"userid=erin&password=qwertyuiop", 400, 107, msgCommonPass},
		{"no password and no e-mail is refused", "/ocs/v2.php/cloud/users?format=json",
			"userid=dave", 400, 108, "To send a password link to the user an email address is required."},
		{"a missing group is refused", "/ocs/v2.php/cloud/users?format=json",
			"userid=frank&password=Correct-Horse-Battery-42&groups[]=nosuchgroup", 400, 104, "group nosuchgroup does not exist"},
		{"an umlaut in the id is refused", "/ocs/v2.php/cloud/users?format=json",
			"userid=j%C3%BCrgen&password=Correct-Horse-Battery-42", 400, 101, msgBadChars},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newServer(t, Options{})
			mustAddUser(t, sim, Account{ID: "alice", Password: "Correct-Horse-Battery-42"})
			code, body := send(t, srv, asAdmin("POST", tt.path, tt.body))
			gotCode, gotMsg, _ := ocsStatus(body)
			if code != tt.wantHTTP || gotCode != tt.wantCode || gotMsg != tt.wantMsg {
				t.Errorf("got %d/%d %q, want %d/%d %q", code, gotCode, gotMsg, tt.wantHTTP, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestWelcomeMails(t *testing.T) {
	tests := []struct {
		name        string
		mail        bool
		body        string
		wantMails   int
		wantSetLink bool
		wantResend  int
	}{
		{"an account created with an e-mail only gets a set-password mail", true,
			"userid=carol&email=carol%40example.test", 1, true, 200},
		{"an account created with a password gets a plain welcome mail", true,
			"userid=carol&password=Carol-Password-1&email=carol%40example.test", 1, false, 200},
		{"an invalid address is stored but no mail is sent", true,
			"userid=carol&email=not-an-email", 0, false, 102},
		{"without working mail the account is still created", false,
			"userid=carol&email=carol%40example.test", 0, false, 102},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newServer(t, Options{MailEnabled: tt.mail})
			mustSend(t, srv, asAdmin("POST", "/ocs/v2.php/cloud/users?format=json", tt.body), 200)
			mails := sim.Snapshot().Mails
			if len(mails) != tt.wantMails {
				t.Fatalf("%d mails, want %d: %+v", len(mails), tt.wantMails, mails)
			}
			if tt.wantMails > 0 {
				m := mails[0]
				if m.UserID != "carol" || m.To != "carol@example.test" || m.SetPassword != tt.wantSetLink {
					t.Errorf("mail %+v", m)
				}
				if tt.wantSetLink && !strings.Contains(m.Link, "/lostpassword/reset/form/") {
					t.Errorf("set-password link %q", m.Link)
				}
			}
			code, body := send(t, srv, asAdmin("POST", "/ocs/v2.php/cloud/users/carol/welcome?format=json", ""))
			if gotCode, _, _ := ocsStatus(body); gotCode != tt.wantResend {
				t.Errorf("resend: %d/%d, want statuscode %d", code, gotCode, tt.wantResend)
			}
		})
	}
}

func TestEditUserQuotaRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		value     string
		wantCode  int
		wantQuota any
	}{
		{"a human size is stored in bytes", "5 GB", 200, float64(5 << 30)},
		{"a byte count is stored as is", "1073741824", 200, float64(1 << 30)},
		{"none means unlimited", "none", 200, "none"},
		{"a byte count is rounded through a human size like Nextcloud", "1500000", 200, float64(1468006)},
		{"a word is refused", "lots", 102, "none"},
		{"a negative value fails with the recorded server error", "-5", 500, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newServer(t, Options{})
			mustAddUser(t, sim, Account{ID: "alice", Password: "alice-password-1"})
			_, body := send(t, srv, asAdmin("PUT", "/ocs/v2.php/cloud/users/alice?format=json", "key=quota&value="+tt.value))
			if code, _, _ := ocsStatus(body); code != tt.wantCode {
				t.Fatalf("statuscode %d, want %d: %s", code, tt.wantCode, body)
			}
			body = mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/cloud/users/alice?format=json", ""), 200)
			var got struct {
				OCS struct {
					Data struct {
						Quota struct {
							Quota any `json:"quota"`
						} `json:"quota"`
					} `json:"data"`
				} `json:"ocs"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			if got.OCS.Data.Quota.Quota != tt.wantQuota {
				t.Errorf("quota %v, want %v", got.OCS.Data.Quota.Quota, tt.wantQuota)
			}
		})
	}
}

func TestNonAdminAccess(t *testing.T) {
	sim, srv := newServer(t, Options{})
	mustAddUser(t, sim, Account{ID: "alice", Password: "alice-password-1", Language: "de", Groups: []string{"engineering"}, SubadminOf: []string{"engineering"}})
	mustAddUser(t, sim, Account{ID: "henry", Password: "henry-password-1"})
	as := func(u, method, path, body string) request {
		return request{method: method, path: path, user: u, pass: u + "-password-1", body: body}
	}
	tests := []struct {
		name     string
		rq       request
		wantHTTP int
		wantCode int
		wantMsg  string
	}{
		{"a subadmin creating a group gets the localised admin message", as("alice", "POST", "/ocs/v2.php/cloud/groups?format=json", "groupid=x"),
			403, 403, "Der angemeldete Benutzer muss ein Administrator sein"},
		{"a plain user creating a group gets the English admin message", as("henry", "POST", "/ocs/v1.php/cloud/groups?format=json", "groupid=x"),
			200, 403, msgMustBeAdmin},
		{"a plain user cannot list users", as("henry", "GET", "/ocs/v2.php/cloud/users?format=json", ""),
			403, 403, msgMustBeSubadmin},
		{"a plain user reading another user gets 998", as("henry", "GET", "/ocs/v2.php/cloud/users/admin?format=json", ""),
			404, 998, ""},
		{"a plain user reads themself", as("henry", "GET", "/ocs/v2.php/cloud/users/henry?format=json", ""),
			200, 200, "OK"},
		{"a subadmin creates a user in their group", as("alice", "POST", "/ocs/v2.php/cloud/users?format=json", "userid=ivan&password=Correct-Horse-Battery-45&groups[]=engineering"),
			200, 200, "OK"},
		{"a subadmin must name a group", as("alice", "POST", "/ocs/v2.php/cloud/users?format=json", "userid=jack&password=Correct-Horse-Battery-46"),
			400, 106, "no group specified (required for subadmins)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := send(t, srv, tt.rq)
			gotCode, gotMsg, _ := ocsStatus(body)
			if code != tt.wantHTTP || gotCode != tt.wantCode || gotMsg != tt.wantMsg {
				t.Errorf("got %d/%d %q, want %d/%d %q", code, gotCode, gotMsg, tt.wantHTTP, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestAuthenticationFailures(t *testing.T) {
	sim, srv := newServer(t, Options{})
	mustAddUser(t, sim, Account{ID: "bob", Password: "bob-password-1", Disabled: true})
	tests := []struct {
		name     string
		rq       request
		wantBody string
	}{
		{"a wrong password answers XML even when JSON was asked", request{method: "GET", path: "/ocs/v2.php/cloud/users?format=json", user: "admin", pass: "wrong"}, wrongCredentialXML},
		{"an unknown user answers the same", request{method: "GET", path: "/ocs/v1.php/cloud/users", user: "nobody", pass: "x"}, wrongCredentialXML},
		{"a disabled user cannot log in", request{method: "GET", path: "/ocs/v2.php/cloud/user?format=json", user: "bob", pass: "bob-password-1"}, wrongCredentialXML},
		{"no credentials honour the format", request{method: "GET", path: "/ocs/v2.php/cloud/users?format=json"},
			`{"ocs":{"meta":{"status":"failure","statuscode":997,"message":"Current user is not logged in"},"data":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := send(t, srv, tt.rq)
			if code != http.StatusUnauthorized || body != tt.wantBody {
				t.Errorf("got %d %q, want 401 %q", code, body, tt.wantBody)
			}
		})
	}
	if n := sim.Snapshot().FailedLogins["127.0.0.1"]; n != 3 {
		t.Errorf("%d failed logins counted, want 3", n)
	}
}

func TestBruteForceThrottling(t *testing.T) {
	sim, srv := newServer(t, Options{BruteForceDelay: 50 * time.Millisecond})
	for range 2 {
		send(t, srv, request{method: "GET", path: "/ocs/v2.php/cloud/user", user: "admin", pass: "wrong"})
	}
	start := time.Now()
	mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/cloud/user", ""), 200)
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("a correct login after 2 failures took %v, want at least 200ms (50ms × 2²)", elapsed)
	}
	sim.ResetBruteForce()
	start = time.Now()
	mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/cloud/user", ""), 200)
	if elapsed := time.Since(start); elapsed > 150*time.Millisecond {
		t.Errorf("after a reset the login took %v", elapsed)
	}
}

func TestAppPasswords(t *testing.T) {
	_, srv := newServer(t, Options{})
	body := mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/core/getapppassword?format=json", ""), 200)
	token := appPassword(body)
	if len(token) != 72 {
		t.Fatalf("app password %q, want 72 characters", token)
	}
	withToken := func(method, path string) request {
		return request{method: method, path: path, user: "admin", pass: token}
	}
	steps := []struct {
		name string
		rq   request
		want int
	}{
		{"the app password authenticates OCS calls", withToken("GET", "/ocs/v2.php/cloud/user?format=json"), 200},
		{"the app password authenticates WebDAV calls", withToken("PROPFIND", "/remote.php/dav/files/admin/"), 207},
		{"an app password cannot request another", withToken("GET", "/ocs/v2.php/core/getapppassword?format=json"), 403},
		{"without OCS-APIRequest the CSRF check fails", request{method: "GET", path: "/ocs/v2.php/core/getapppassword", user: "admin", pass: testAdminPassword,
			header: map[string]string{"OCS-APIRequest": "false"}}, 412},
		{"the app password revokes itself", withToken("DELETE", "/ocs/v2.php/core/apppassword?format=json"), 200},
		{"a revoked app password is refused", withToken("GET", "/ocs/v2.php/cloud/user?format=json"), 401},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			mustSend(t, srv, st.rq, st.want)
		})
	}
}

func TestMaintenanceMode(t *testing.T) {
	sim, srv := newServer(t, Options{})
	sim.SetMaintenance(true)
	tests := []struct {
		name string
		rq   request
		want int
	}{
		{"status.php still answers", request{method: "GET", path: "/status.php"}, 200},
		{"OCS v2 answers 503", asAdmin("GET", "/ocs/v2.php/cloud/users?format=json", ""), 503},
		{"OCS v1 answers 503", asAdmin("GET", "/ocs/v1.php/cloud/users", ""), 503},
		{"WebDAV answers 503", dav("PROPFIND", "admin", testAdminPassword, "/", ""), 503},
		{"group folders answer 503", asAdmin("GET", "/index.php/apps/groupfolders/folders", ""), 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := sendFull(t, srv, tt.rq)
			if res.StatusCode != tt.want {
				t.Errorf("status %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want == 503 && res.Header.Get("X-Nextcloud-Maintenance-Mode") != "1" {
				t.Errorf("missing X-Nextcloud-Maintenance-Mode header")
			}
			if tt.rq.path == "/status.php" && !strings.Contains(body, `"maintenance":true`) {
				t.Errorf("status.php = %s", body)
			}
		})
	}
	sim.SetMaintenance(false)
	mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/cloud/users?format=json", ""), 200)
}

func TestTouchLoginShowsInUserDetails(t *testing.T) {
	sim, srv := newServer(t, Options{})
	mustAddUser(t, sim, Account{ID: "alice", Password: "alice-password-1", Quota: "1 GB"})
	before := mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/cloud/users/alice?format=json", ""), 200)
	if !strings.Contains(before, `"lastLogin":0,`) || !strings.Contains(before, `"quota":{"quota":1073741824,"used":0}`) {
		t.Fatalf("before login: %s", before)
	}
	at := time.Date(2026, 11, 21, 4, 45, 23, 0, time.UTC)
	if err := sim.TouchLogin("ALICE", at); err != nil {
		t.Fatal(err)
	}
	after := mustSend(t, srv, asAdmin("GET", "/ocs/v2.php/cloud/users/alice?format=json", ""), 200)
	if want := fmt.Sprintf(`"lastLogin":%d,`, at.Unix()*1000); !strings.Contains(after, want) {
		t.Errorf("after login lacks %s: %s", want, after)
	}
	if want := `"quota":{"free":1073741660,"used":164,"total":1073741824,"relative":0,"quota":1073741824}`; !strings.Contains(after, want) {
		t.Errorf("after login lacks %s: %s", want, after)
	}
	if err := sim.TouchLogin("nobody", at); err == nil {
		t.Error("TouchLogin of an unknown user succeeded")
	}
}

func TestSeedingCollisions(t *testing.T) {
	sim := New(Options{})
	steps := []struct {
		name       string
		seed       func() error
		wantExists bool
	}{
		{"a new user is seeded", func() error { return sim.AddUser(Account{ID: "alice"}) }, false},
		{"a user differing by case collides", func() error { return sim.AddUser(Account{ID: "Alice"}) }, true},
		{"a new group is seeded", func() error { return sim.AddGroup("Engineering", "Engineering team") }, false},
		{"the same group id collides", func() error { return sim.AddGroup("Engineering", "") }, true},
		{"group ids are case-sensitive", func() error { return sim.AddGroup("engineering", "") }, false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := st.seed()
			if errors.Is(err, ErrExists) != st.wantExists || (err != nil && !st.wantExists) {
				t.Errorf("error %v, want exists=%v", err, st.wantExists)
			}
		})
	}
}

func TestConcurrentCallsAreSafe(t *testing.T) {
	sim, srv := newServer(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	call := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.SetBasicAuth("admin", testAdminPassword)
		req.Header.Set("OCS-APIRequest", "true")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := srv.Client().Do(req)
		if err != nil {
			errs <- err
			return
		}
		res.Body.Close()
		if res.StatusCode >= 300 {
			errs <- fmt.Errorf("%s %s: %d", method, path, res.StatusCode)
		}
	}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call("POST", "/ocs/v2.php/cloud/groups?format=json", fmt.Sprintf("groupid=g%d", i))
			call("PUT", fmt.Sprintf("/remote.php/dav/files/admin/f%d.txt", i), "data")
			sim.Snapshot()
			sim.SetFaults(Faults{Latency: time.Millisecond})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := sim.Snapshot()
	if len(st.Groups) != 21 || len(st.Files["admin"]) != 21 {
		t.Errorf("%d groups and %d admin files, want 21 and 21", len(st.Groups), len(st.Files["admin"]))
	}
}

func TestEnvelopeFormats(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		accept string
		want   string
	}{
		{"v2 answers XML by default", "/ocs/v2.php/cloud/groups/nosuchgroup", "",
			"<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n  <status>failure</status>\n  <statuscode>404</statuscode>\n  <message>The requested group could not be found</message>\n </meta>\n <data/>\n</ocs>\n"},
		{"v1 XML carries the empty paging fields", "/ocs/v1.php/cloud/groups/nosuchgroup", "",
			"<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n  <status>failure</status>\n  <statuscode>404</statuscode>\n  <message>The requested group could not be found</message>\n  <totalitems></totalitems>\n  <itemsperpage></itemsperpage>\n </meta>\n <data/>\n</ocs>\n"},
		{"format=json answers JSON", "/ocs/v2.php/cloud/groups/nosuchgroup?format=json", "",
			`{"ocs":{"meta":{"status":"failure","statuscode":404,"message":"The requested group could not be found"},"data":[]}}`},
		{"an Accept header asking for JSON answers JSON", "/ocs/v1.php/cloud/groups/nosuchgroup", "application/json",
			`{"ocs":{"meta":{"status":"failure","statuscode":404,"message":"The requested group could not be found","totalitems":"","itemsperpage":""},"data":[]}}`},
	}
	_, srv := newServer(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq := asAdmin("GET", tt.path, "")
			if tt.accept != "" {
				rq.header = map[string]string{"Accept": tt.accept}
			}
			if _, body := send(t, srv, rq); body != tt.want {
				t.Errorf("body\n%s\nwant\n%s", body, tt.want)
			}
		})
	}
}
