package nextcloud

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestUserCalls(t *testing.T) {
	runReplayCases(t, []replayCase{
		{
			name:      "creating a user with only an e-mail succeeds",
			exchanges: []string{"20-create-user-email-only.v2"},
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "carol", Email: "carol@example.test", DisplayName: "Carol NoPass"})
			},
		},
		{
			name:      "creating a user in a group with language succeeds",
			exchanges: []string{"20-create-user-full.v2"},
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "bob", Email: "bob@example.test", DisplayName: "Bob Builder",
					Groups: []string{"engineering"}, Language: "en"})
			},
		},
		{
			name:      "creating an existing user reports it already exists",
			exchanges: []string{"21-create-user-exists.v2.json"},
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "alice", Email: "alice@example.test"})
			},
			want: ErrAlreadyExists,
		},
		{
			name:      "creating a user whose id differs only in case reports it already exists",
			exchanges: []string{"21-create-user-exists-case.v2.json"},
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "ALICE", Email: "alice@example.test"})
			},
			want: ErrAlreadyExists,
		},
		{
			name:      "creating a user in a missing group reports the group not found",
			exchanges: []string{"25-create-user-missing-group.v2"},
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "frank", Email: "frank@example.test", Groups: []string{"nosuchgroup"}})
			},
			want: ErrNotFound,
		},
		{
			name:      "a subadmin creating a user in their group succeeds",
			exchanges: []string{"A2-subadmin-create-user-in-own-group.v2"},
			as:        "alice",
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "ivan", Email: "ivan@example.test", Groups: []string{"engineering"}})
			},
		},
		{
			name:      "a subadmin creating a user outside any group is forbidden",
			exchanges: []string{"A2-subadmin-create-user-no-group.v2"},
			as:        "alice",
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "jack", Email: "jack@example.test"})
			},
			want: ErrForbidden,
		},
		{
			name: "a user without e-mail is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.CreateUser(ctx, NewUser{ID: "dave"}) },
			want: ErrInvalid,
		},
		{
			name: "a user id with a slash is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "bad/user", Email: "b@example.test"})
			},
			want: ErrInvalid,
		},
		{
			name: "a 65-character user id that Nextcloud 27 accepts is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: strings.Repeat("x", 65), Email: "x@example.test"})
			},
			want: ErrInvalid,
		},
		{
			name: "a quota Nextcloud would reject after creating the user is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "frank", Email: "frank@example.test", Quota: "lots"})
			},
			want: ErrInvalid,
		},
		{
			name: "an e-mail Nextcloud 27 would store as is is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				return c.CreateUser(ctx, NewUser{ID: "gina", Email: "not-an-email"})
			},
			want: ErrInvalid,
		},
		{
			name:      "getting a missing user reports it not found",
			exchanges: []string{"27-get-user-missing.v2"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetUser(ctx, "nosuchuser")
				return err
			},
			want: ErrNotFound,
		},
		{
			name:      "getting a user one may not see reports it not found",
			exchanges: []string{"A2-nonadmin-get-other-user.v2"},
			as:        "henry",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetUser(ctx, "admin")
				return err
			},
			want: ErrNotFound,
		},
		{
			name:      "setting a quota in GB succeeds",
			exchanges: []string{"30-edit-quota-5GB.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.EditUser(ctx, "bob", FieldQuota, "5 GB") },
		},
		{
			name:      "setting an e-mail succeeds",
			exchanges: []string{"31-edit-email.v2"},
			call: func(ctx context.Context, c *Client) error {
				return c.EditUser(ctx, "alice", FieldEmail, "alice.new@example.test")
			},
		},
		{
			name:      "setting an empty e-mail clears it",
			exchanges: []string{"31-edit-email-empty.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.EditUser(ctx, "bob", FieldEmail, "") },
		},
		{
			name:      "setting an unknown language is invalid",
			exchanges: []string{"34-edit-language-invalid.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.EditUser(ctx, "alice", FieldLanguage, "xx_YY") },
			want:      ErrInvalid,
		},
		{
			name:      "editing a missing user reports it not found",
			exchanges: []string{"34-edit-missing-user.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.EditUser(ctx, "nosuchuser", FieldQuota, "1 GB") },
			want:      ErrNotFound,
		},
		{
			name: "a negative quota, which makes Nextcloud fail with a 500, is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.EditUser(ctx, "alice", FieldQuota, "-5") },
			want: ErrInvalid,
		},
		{
			name: "a password is never set through EditUser",
			call: func(ctx context.Context, c *Client) error {
				return c.EditUser(ctx, "alice", UserField("password"), "ALICE-PASSWORD")
			},
			want: ErrInvalid,
		},
		{
			name:      "adding a user to a group succeeds",
			exchanges: []string{"40-add-to-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.AddToGroup(ctx, "bob", "marketing") },
		},
		{
			name:      "adding a member again succeeds",
			exchanges: []string{"40-add-to-group-again.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.AddToGroup(ctx, "bob", "marketing") },
		},
		{
			name:      "adding a user to a missing group reports it not found although Nextcloud says 102",
			exchanges: []string{"41-add-to-missing-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.AddToGroup(ctx, "alice", "nosuchgroup") },
			want:      ErrNotFound,
		},
		{
			name:      "adding a missing user to a group reports it not found although Nextcloud says 103",
			exchanges: []string{"41-add-missing-user-to-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.AddToGroup(ctx, "nosuchuser", "marketing") },
			want:      ErrNotFound,
		},
		{
			name:      "removing a member from a group succeeds",
			exchanges: []string{"44-remove-from-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.RemoveFromGroup(ctx, "bob", "marketing") },
		},
		{
			name:      "removing a non-member from a group succeeds",
			exchanges: []string{"44-remove-from-group-notmember.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.RemoveFromGroup(ctx, "bob", "sales-eu") },
		},
		{
			name:      "promoting a subadmin succeeds",
			exchanges: []string{"45-promote-subadmin.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.PromoteSubadmin(ctx, "bob", "marketing") },
		},
		{
			name:      "promoting a subadmin of a missing group reports it not found",
			exchanges: []string{"45-promote-subadmin-missing-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.PromoteSubadmin(ctx, "bob", "nosuchgroup") },
			want:      ErrNotFound,
		},
		{
			name:      "promoting a subadmin of the admin group is forbidden",
			exchanges: []string{"45-promote-subadmin-admin-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.PromoteSubadmin(ctx, "bob", "admin") },
			want:      ErrForbidden,
		},
		{
			name:      "demoting a subadmin succeeds",
			exchanges: []string{"47-demote-subadmin.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DemoteSubadmin(ctx, "bob", "marketing") },
		},
		{
			name:      "demoting a user who is not subadmin reports it not found",
			exchanges: []string{"47-demote-subadmin-notsub.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DemoteSubadmin(ctx, "bob", "marketing") },
			want:      ErrNotFound,
		},
		{
			name:      "disabling a disabled user succeeds",
			exchanges: []string{"50-disable-user-again.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DisableUser(ctx, "bob") },
		},
		{
			name:      "enabling a user succeeds",
			exchanges: []string{"51-enable-user.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.EnableUser(ctx, "bob") },
		},
		{
			name:      "enabling a missing user reports it not found although Nextcloud says 101",
			exchanges: []string{"51-enable-missing-user.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.EnableUser(ctx, "nosuchuser") },
			want:      ErrNotFound,
		},
		{
			name: "disabling the client's own account is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.DisableUser(ctx, "admin") },
			want: ErrForbidden,
		},
	})
}

func TestCreateUserSendsEverythingInOneCall(t *testing.T) {
	s := newReplay(t, "20-create-user-full.v2")
	err := s.adminClient(t).CreateUser(t.Context(), NewUser{ID: "bob", Email: "bob@example.test", DisplayName: "Bob Builder",
		Groups: []string{"engineering"}, Quota: "5368709120", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	seen := s.seen()
	if len(seen) != 1 {
		t.Fatalf("%d requests, want the creation alone", len(seen))
	}
	create := seen[0].form()
	if create.Has("password") {
		t.Errorf("the creation sent a password: %v", create)
	}
	for key, want := range map[string]string{"userid": "bob", "email": "bob@example.test", "displayName": "Bob Builder",
		"groups[]": "engineering", "language": "en", "quota": "5368709120"} {
		if got := create.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

func TestCreateUserShortensALongDisplayName(t *testing.T) {
	var sent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		sent = r.PostForm.Get("displayName")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":{"id":"bob"}}}`)
	}))
	t.Cleanup(srv.Close)
	long := strings.Repeat("Association des amis du patrimoine ", 6)
	err := newTestClient(t, srv.URL, "admin", "APP-PASSWORD").CreateUser(t.Context(),
		NewUser{ID: "bob", Email: "bob@example.test", DisplayName: long})
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(sent); n != MaxIDLength || !strings.HasSuffix(sent, "…") {
		t.Errorf("display name sent %q (%d characters), want 64 ending with an ellipsis", sent, n)
	}
}

func TestCreateUserSaysTheUserExistsWhenTheHostRefusesTheQuota(t *testing.T) {
	for _, tc := range []struct{ name, answer string }{
		{"on 27 (102)", `{"ocs":{"meta":{"status":"failure","statuscode":102,"message":"Invalid quota value lots"},"data":[]}}`},
		{"on 34 (101)", `{"ocs":{"meta":{"status":"failure","statuscode":101,"message":"Invalid quota value: lots"},"data":[]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, tc.answer)
			}))
			t.Cleanup(srv.Close)
			err := newTestClient(t, srv.URL, "admin", "APP-PASSWORD").CreateUser(t.Context(),
				NewUser{ID: "bob", Email: "bob@example.test", Quota: "50 GB"})
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrQuota) || errors.Is(err, ErrAlreadyExists) || !strings.Contains(e.Op, "user created") {
				t.Errorf("got %v, want ErrQuota saying the user was created", err)
			}
		})
	}
}

func TestGetUser(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
		id       string
		check    func(t *testing.T, u User)
	}{
		{
			name: "a user who never logged in has a quota limit, no e-mail and no last login", exchange: "26-get-user.v2.json", id: "bob",
			check: func(t *testing.T, u User) {
				want := User{ID: "bob", DisplayName: "Bob Builder", Enabled: true, Groups: []string{"engineering"},
					SubadminGroups: []string{}, Quota: Quota{Limit: 5368709120}, Language: "en"}
				if !sameUser(u, want) {
					t.Errorf("got %+v\nwant %+v", u, want)
				}
			},
		},
		{
			name: "a quota of none is unlimited", exchange: "26-get-user-emailonly.v2.json", id: "carol",
			check: func(t *testing.T, u User) {
				if !u.Quota.Unlimited || u.Quota.Limit != 0 || u.Email != "carol@example.test" {
					t.Errorf("got %+v", u)
				}
			},
		},
		{
			name: "the admin is an admin, unlimited, with a last login in milliseconds", exchange: "26-get-user-admin.v2.json", id: "admin",
			check: func(t *testing.T, u User) {
				if !u.Admin || !u.Quota.Unlimited || u.Quota.Used != 164 {
					t.Errorf("got %+v", u)
				}
				if want := time.UnixMilli(1795236249000).UTC(); !u.LastLogin.Equal(want) {
					t.Errorf("last login = %v, want %v", u.LastLogin, want)
				}
			},
		},
		{
			name: "a full quota reports used, total and relative", exchange: "85-get-user-carol-quota.v2", id: "carol",
			check: func(t *testing.T, u User) {
				want := Quota{Used: 100, Total: 100, Relative: 100, Limit: 100}
				if u.Quota != want {
					t.Errorf("quota = %+v, want %+v", u.Quota, want)
				}
			},
		},
		{
			name: "a disabled user is not enabled", exchange: "50-get-disabled-user.v2", id: "bob",
			check: func(t *testing.T, u User) {
				if u.Enabled {
					t.Error("enabled")
				}
			},
		},
		{
			name: "the language and groups after edits are read", exchange: "36-get-user-after-edits.v2", id: "alice",
			check: func(t *testing.T, u User) {
				if u.Language != "de" || !slices.Equal(u.Groups, []string{"engineering", "marketing"}) || u.DisplayName != "Alice Via Display" {
					t.Errorf("got %+v", u)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			u, err := s.adminClient(t).GetUser(t.Context(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, u)
		})
	}
}

func sameUser(a, b User) bool {
	return a.ID == b.ID && a.DisplayName == b.DisplayName && a.Email == b.Email && a.Enabled == b.Enabled &&
		slices.Equal(a.Groups, b.Groups) && slices.Equal(a.SubadminGroups, b.SubadminGroups) &&
		a.Quota == b.Quota && a.LastLogin.Equal(b.LastLogin) && a.Language == b.Language && a.Admin == b.Admin
}

func TestListUsers(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
		as       string
		want     []string
	}{
		{"an admin sees every user", "28-list-users.v2", "admin",
			[]string{"admin", "alice", "bob", "carol", "e.v-a_n@x.y 'q", "frank", strings.Repeat("x", 65)}},
		{"a subadmin sees the users of their groups", "A2-nonadmin-list-users.v2", "alice", []string{"alice", "bob"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			got, err := newTestClient(t, s.URL, tc.as, "APP-PASSWORD").ListUsers(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("users = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSubadminGroups(t *testing.T) {
	s := newReplay(t, "46-get-user-subadmins.v2")
	got, err := s.adminClient(t).SubadminGroups(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"engineering"}) {
		t.Errorf("groups = %q", got)
	}
}

func TestCurrentUser(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
	}{
		{"the admin authenticated with a password is an admin", "29-get-current-user.v2"},
		{"the admin authenticated with an app password is an admin", "71-use-apppassword-ocs.v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			u, err := s.adminClient(t).CurrentUser(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != "admin" || !u.Admin || u.DisplayName != "admin" {
				t.Errorf("got %+v", u)
			}
		})
	}
}

func TestEditUserReportsTheServerMessage(t *testing.T) {
	s := newReplay(t, "34-edit-language-invalid.v2")
	err := s.adminClient(t).EditUser(t.Context(), "alice", FieldLanguage, "xx_YY")
	var e *Error
	if !errors.As(err, &e) || e.Message != "Invalid language" || e.OCSStatus != 102 || Transient(err) {
		t.Errorf("got %#v", err)
	}
}

func TestAQuotaRefusedByTheHostIsErrQuotaOnBothGenerations(t *testing.T) {
	for _, tc := range []struct{ name, answer string }{
		{"on 27 (102)", `{"ocs":{"meta":{"status":"failure","statuscode":102,"message":"Invalid quota value 50 GB"},"data":[]}}`},
		{"on 34 (101)", `{"ocs":{"meta":{"status":"failure","statuscode":101,"message":"Invalid quota value: 50 GB"},"data":[]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, tc.answer)
			}))
			t.Cleanup(srv.Close)
			err := newTestClient(t, srv.URL, "admin", "APP-PASSWORD").EditUser(t.Context(), "bob", FieldQuota, "50 GB")
			if !errors.Is(err, ErrQuota) {
				t.Errorf("got %v, want ErrQuota", err)
			}
		})
	}
}
