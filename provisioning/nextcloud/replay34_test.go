package nextcloud

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The client against answers recorded on a real Nextcloud 34.0.1.

// newClient34 is a client of s with the recorded admin's login password,
// in a session whose clock the test holds.
func newClient34(t *testing.T, s *replayServer, now func() time.Time) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: s.URL, User: "admin", LoginPassword: "ADMIN-PASSWORD", Now: now,
		Timeout: 5 * time.Second, UserAgent: UserAgent("test")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOn34TheVersionIsReadFromStatus(t *testing.T) {
	s := newReplay34(t, "01-status", "02-capabilities.v1")
	c := s.adminClient(t)
	st, err := c.Status(t.Context())
	if err != nil || st.Version.Major != 34 || st.VersionString != "34.0.1" {
		t.Fatalf("status %+v, %v", st, err)
	}
	s.alias("GET", "/ocs/v2.php/cloud/capabilities?format=json", "02-capabilities.v1")
	caps, err := c.Capabilities(t.Context())
	if err != nil || caps.Version.Major != 34 || !caps.GroupFolders || !caps.FilesSharingAPI {
		t.Fatalf("capabilities %+v, %v", caps, err)
	}
}

func TestOn34AnAppPasswordIsRefusedForManagement(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
		call     func(c *Client) error
	}{
		{"creating a group (HTTP 403, statuscode 403)", "C1-apppw-create-group.v2",
			func(c *Client) error { return c.CreateGroup(t.Context(), "asso-alpha", "Asso Alpha") }},
		{"creating a group folder (HTTP 200, statuscode 403)", "C2-apppw-gf-create-folder",
			func(c *Client) error { _, err := c.CreateGroupFolder(t.Context(), "Asso Alpha"); return err }},
		{"setting a folder quota (HTTP 200, statuscode 403)", "C2-apppw-gf-set-quota",
			func(c *Client) error { return c.SetFolderQuota(t.Context(), 1, 5368709120) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newReplay34(t, tt.exchange)
			err := tt.call(s.adminClient(t))
			if !errors.Is(err, ErrConfirmationRequired) || !errors.Is(err, ErrForbidden) || Transient(err) {
				t.Fatalf("got %v, want ErrConfirmationRequired, permanent", err)
			}
		})
	}
}

func TestOn34GroupFolders(t *testing.T) {
	s := newReplay34(t, "90-gf-create-folder", "91-gf-add-group", "93-gf-get-one", "93-gf-get-missing")
	c := s.adminClient(t)
	ctx := t.Context()
	s.alias("POST", "/index.php/apps/groupfolders/folders?format=json", "90-gf-create-folder")
	id, err := c.CreateGroupFolder(ctx, "Engineering Files")
	if err != nil || id != 1 {
		t.Fatalf("create: %d, %v (the answer is the whole folder)", id, err)
	}
	delete(s.aliases, "POST /index.php/apps/groupfolders/folders?format=json")
	if err := c.AddGroupToFolder(ctx, 1, "engineering"); err != nil {
		t.Fatalf("add group ({\"success\":true,\"folder\":…}): %v", err)
	}
	f, err := c.GroupFolder(ctx, 1)
	if err != nil || f.Quota != 10737418240 || f.MountPoint != "Engineering Files" {
		t.Fatalf("get one: %+v, %v", f, err)
	}
	if _, err := c.GroupFolder(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing folder (bare 404 {\"message\":\"Groupfolder not found\"}): got %v, want ErrNotFound", err)
	}
}

func TestOn34AUserObjectWithItsNewQuota(t *testing.T) {
	s := newReplay34(t, "26-get-user.v2.json")
	u, err := s.adminClient(t).GetUser(t.Context(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "bob" || u.Quota.Free < 0 || u.Quota.Total < 0 {
		t.Errorf("user %+v: free and total are -3 for 'unlimited' on 34, not sizes", u)
	}
}

func TestOn34TheSessionLogsInOnceThenSendsCookies(t *testing.T) {
	s := newReplay34(t, "E1-login-basic-with-cookie-test.v2", "E1-cookie-create-group.v2", "E1-cookie-gf-create-folder")
	c := newClient34(t, s, nil)
	if err := c.CreateGroup(t.Context(), "asso-beta", "Asso Beta"); err != nil {
		t.Fatal(err)
	}
	s.alias("POST", "/index.php/apps/groupfolders/folders?format=json", "E1-cookie-gf-create-folder")
	if _, err := c.CreateGroupFolder(t.Context(), "Asso Beta"); err != nil {
		t.Fatal(err)
	}
	seen := s.seen()
	if len(seen) != 3 {
		t.Fatalf("%d requests, want the login then two writes", len(seen))
	}
	login := seen[0]
	if login.Header.Get("Authorization") == "" || !strings.Contains(login.Header.Get("Cookie"), "cookie_test=test") {
		t.Errorf("the login carried Authorization %q and Cookie %q; it needs both", login.Header.Get("Authorization"), login.Header.Get("Cookie"))
	}
	for _, w := range seen[1:] {
		if w.Header.Get("Authorization") != "" {
			t.Errorf("%s %s sent the password again", w.Method, w.Path)
		}
		cookie := w.Header.Get("Cookie")
		if !strings.Contains(cookie, "oc_sessionPassphrase=<SESSION_PASSPHRASE>") || !strings.Contains(cookie, "oc8e0ghyirx7=<SESSION>") {
			t.Errorf("%s %s sent cookies %q, want the session's", w.Method, w.Path, cookie)
		}
	}
}

func TestOn34ALapsedConfirmationIsRenewedInTheSession(t *testing.T) {
	s := newReplay34(t, "E4-login-for-expiry-test.v2", "I0-cookie-write-after-expiry.v2", "I2-cookie-confirm.v2",
		"I2-cookie-write-after-confirm.v2")
	c := newClient34(t, s, nil)
	if err := c.CreateGroup(t.Context(), "asso-epsilon", ""); err != nil {
		t.Fatalf("the refused write was not confirmed and sent again: %v", err)
	}
	if n := s.count(); n != 4 {
		t.Errorf("%d requests, want login, refused write, confirmation, write", n)
	}
	confirm := s.seen()[2]
	if confirm.Method != "PUT" || confirm.form().Get("password") != "ADMIN-PASSWORD" || confirm.Header.Get("Authorization") != "" {
		t.Errorf("confirmation %s %s %v", confirm.Method, confirm.Path, confirm.form())
	}
}

func TestOn34ThrottledLoginsAreNotRetried(t *testing.T) {
	s := newReplay34(t, "H2-good-password-while-blocked.v2")
	s.exchange("H2-good-password-while-blocked.v2")
	c := newClient34(t, s, nil)
	err := c.CreateGroup(t.Context(), "asso", "")
	if !errors.Is(err, ErrThrottled) || RetryAfter(err) != ThrottleWait {
		t.Fatalf("got %v, want ErrThrottled waiting %v", err, ThrottleWait)
	}
	if err := c.CreateGroup(t.Context(), "asso", ""); !errors.Is(err, ErrThrottled) || s.count() != 1 {
		t.Errorf("second call %v after %d requests: a throttled login must wait", err, s.count())
	}
}
