package nextcloud_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// clock is a fake clock shared by a simulator and a client.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// host34 is a simulated Nextcloud 34.0.1 whose administrator "archipel"
// has the login password "Login-Password-34".
type host34 struct {
	sim   *simulator.Simulator
	url   string
	clock *clock
}

func newHost34(t *testing.T) *host34 {
	t.Helper()
	clk := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	sim := simulator.New(simulator.Options{Profile: simulator.Profile34(), AdminUser: "archipel",
		AdminPassword: "Login-Password-34", MailEnabled: true, Now: clk.Now})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return &host34{sim: sim, url: srv.URL, clock: clk}
}

// client returns a client of the host with the login password (or another
// secret), in session.
func (h *host34) client(t *testing.T, password string, session *nextcloud.Session) *nextcloud.Client {
	t.Helper()
	c, err := nextcloud.New(nextcloud.Config{BaseURL: h.url, User: "archipel", LoginPassword: password,
		Session: session, Now: h.clock.Now, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appPasswordClient returns a client of the host with a fresh app password.
func (h *host34) appPasswordClient(t *testing.T) *nextcloud.Client {
	t.Helper()
	if err := h.sim.AddAppPassword("archipel", "App-Password-34"); err != nil {
		t.Fatal(err)
	}
	c, err := nextcloud.New(nextcloud.Config{BaseURL: h.url, User: "archipel", AppPassword: "App-Password-34", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAppPasswordIsRefusedForManagementOn34(t *testing.T) {
	h := newHost34(t)
	c := h.appPasswordClient(t)
	if _, err := c.CurrentUser(t.Context()); err != nil {
		t.Fatalf("reads work with an app password: %v", err)
	}
	err := c.CreateGroup(t.Context(), "asso-alpha", "Asso Alpha")
	if !errors.Is(err, nextcloud.ErrConfirmationRequired) || !errors.Is(err, nextcloud.ErrForbidden) {
		t.Fatalf("got %v, want ErrConfirmationRequired (also ErrForbidden)", err)
	}
	if _, err := c.CreateGroupFolder(t.Context(), "Asso Alpha"); !errors.Is(err, nextcloud.ErrConfirmationRequired) {
		t.Errorf("group folder (HTTP 200, statuscode 403): got %v, want ErrConfirmationRequired", err)
	}
}

func TestLoginPasswordLogsInOnceAndWorksInTheSession(t *testing.T) {
	h := newHost34(t)
	c := h.client(t, "Login-Password-34", nil)
	ctx := t.Context()
	if err := c.CreateGroup(ctx, "asso-alpha", "Asso Alpha"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateUser(ctx, nextcloud.NewUser{ID: "contact-alpha", Email: "contact-alpha@example.test",
		DisplayName: "Contact Alpha", Groups: []string{"asso-alpha"}, Quota: "1 GB"}); err != nil {
		t.Fatal(err)
	}
	if err := c.PromoteSubadmin(ctx, "contact-alpha", "asso-alpha"); err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateGroupFolder(ctx, "Asso Alpha")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddGroupToFolder(ctx, id, "asso-alpha"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFolderQuota(ctx, id, 10<<30); err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir(ctx, "archipel", "/Archipel"); err != nil {
		t.Fatal(err)
	}
	if up, err := c.Put(ctx, "archipel", "/Archipel/readme.txt", []byte("hello\n")); err != nil || up.ETag == "" {
		t.Fatalf("Put: %+v, %v", up, err)
	}
	if _, err := c.GroupFolder(ctx, 9999); !errors.Is(err, nextcloud.ErrNotFound) {
		t.Errorf("a missing group folder (bare 404): got %v, want ErrNotFound", err)
	}
	if got := h.sim.PasswordVerifications(); got != 1 {
		t.Errorf("the password was verified %d times, want once (at login)", got)
	}
	if st := c.SessionStats(); st.Logins != 1 || st.Confirmations != 0 {
		t.Errorf("stats %+v, want one login and no confirmation", st)
	}
}

func TestTheConfirmationIsRenewedBeforeItLapses(t *testing.T) {
	h := newHost34(t)
	c := h.client(t, "Login-Password-34", nil)
	ctx := t.Context()
	if err := c.CreateGroup(ctx, "asso-1", ""); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(29*time.Minute + 30*time.Second)
	if err := c.CreateGroup(ctx, "asso-2", ""); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(31 * time.Minute) // past the window of the login, not of the confirmation
	if _, err := c.CurrentUser(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateGroup(ctx, "asso-3", ""); err != nil {
		t.Fatalf("a write after the lapse: %v", err)
	}
	if st := c.SessionStats(); st.Logins != 1 || st.Confirmations != 2 {
		t.Errorf("stats %+v, want one login and two confirmations", st)
	}
}

func TestALostSessionLogsInAgain(t *testing.T) {
	h := newHost34(t)
	c := h.client(t, "Login-Password-34", nil)
	ctx := t.Context()
	if err := c.CreateGroup(ctx, "asso-1", ""); err != nil {
		t.Fatal(err)
	}
	h.sim.EndSessions()
	if err := c.CreateGroup(ctx, "asso-2", ""); err != nil {
		t.Fatalf("after the session ended: %v", err)
	}
	if st := c.SessionStats(); st.Logins != 2 {
		t.Errorf("%d logins, want 2", st.Logins)
	}
}

func TestClientsOfOneHostShareOneLogin(t *testing.T) {
	h := newHost34(t)
	session := nextcloud.NewSession(h.clock.Now)
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.client(t, "Login-Password-34", session).CreateGroup(t.Context(), fmt.Sprintf("asso-%d", i), "")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if st := session.Stats(); st.Logins != 1 {
		t.Errorf("%d logins for 12 concurrent writes, want 1", st.Logins)
	}
}

func TestARefusedPasswordIsNeverSentAgain(t *testing.T) {
	h := newHost34(t)
	c := h.client(t, "wrong-password", nil)
	for i := range 3 {
		if err := c.CreateGroup(t.Context(), "asso", ""); !errors.Is(err, nextcloud.ErrUnauthorized) {
			t.Fatalf("call %d: got %v, want ErrUnauthorized", i+1, err)
		}
	}
	if got := h.sim.PasswordVerifications(); got != 1 {
		t.Errorf("the server verified a password %d times, want once", got)
	}
}

func TestThrottledLoginsWaitWithAClearKind(t *testing.T) {
	h := newHost34(t)
	for range 11 { // more than 10 failures from this address
		req, _ := http.NewRequest(http.MethodGet, h.url+"/ocs/v2.php/cloud/user?format=json", nil)
		req.SetBasicAuth("archipel", "guess")
		req.Header.Set("OCS-APIRequest", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	c := h.client(t, "Login-Password-34", nil)
	err := c.CreateGroup(t.Context(), "asso", "")
	if !errors.Is(err, nextcloud.ErrThrottled) || !nextcloud.Transient(err) || errors.Is(err, nextcloud.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrThrottled, transient, not a refused password", err)
	}
	if d := nextcloud.RetryAfter(err); d != nextcloud.ThrottleWait {
		t.Errorf("wait %v, want %v", d, nextcloud.ThrottleWait)
	}
	calls := h.sim.Calls()
	if err := c.CreateGroup(t.Context(), "asso", ""); !errors.Is(err, nextcloud.ErrThrottled) {
		t.Fatalf("second call: %v", err)
	}
	if h.sim.Calls() != calls {
		t.Error("a login was tried again while throttled")
	}
	h.clock.Advance(nextcloud.ThrottleWait + time.Second)
	if err := c.CreateGroup(t.Context(), "asso", ""); err != nil {
		t.Errorf("after the wait: %v", err)
	}
}

func TestARefusedWriteIsConfirmedAndSentAgain(t *testing.T) {
	h := newHost34(t)
	clientClock := &clock{now: h.clock.Now()} // the client does not see the lapse coming
	c, err := nextcloud.New(nextcloud.Config{BaseURL: h.url, User: "archipel", LoginPassword: "Login-Password-34",
		Now: clientClock.Now, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.CreateGroup(ctx, "asso-1", ""); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(31 * time.Minute)
	if err := c.CreateGroup(ctx, "asso-2", ""); err != nil {
		t.Fatalf("the refused write was not confirmed and sent again: %v", err)
	}
	id, err := c.CreateGroupFolder(ctx, "Asso")
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(31 * time.Minute)
	if err := c.SetFolderQuota(ctx, id, 1<<30); err != nil { // HTTP 200 with statuscode 403
		t.Fatalf("group folder write after the lapse: %v", err)
	}
	if st := c.SessionStats(); st.Logins != 1 || st.Confirmations != 2 {
		t.Errorf("stats %+v, want one login and two confirmations", st)
	}
}
