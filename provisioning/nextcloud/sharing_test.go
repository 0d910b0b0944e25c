package nextcloud

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestAppPasswordFromLogin(t *testing.T) {
	s := newReplay(t, "70-getapppassword-admin.v2")
	c, err := New(Config{BaseURL: s.URL, UserAgent: UserAgent("test")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.AppPasswordFromLogin(t.Context(), "admin", "ADMIN-PASSWORD")
	if err != nil {
		t.Fatal(err)
	}
	if got != "ADMIN-APP-PASSWORD" {
		t.Errorf("app password = %q", got)
	}
	r := s.seen()[0]
	if u, p, ok := (&http.Request{Header: r.Header}).BasicAuth(); !ok || u != "admin" || p != "ADMIN-PASSWORD" {
		t.Errorf("authenticated as %q/%q, want the login given", u, p)
	}
}

func TestAppPasswordCalls(t *testing.T) {
	runReplayCases(t, []replayCase{
		{
			name:      "asking an app password with an app password is forbidden",
			exchanges: []string{"72-getapppassword-with-apppassword.v2"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AppPasswordFromLogin(ctx, "admin", "ADMIN-APP-PASSWORD")
				return err
			},
			want: ErrForbidden,
		},
		{
			name: "asking an app password without a password is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AppPasswordFromLogin(ctx, "admin", "")
				return err
			},
			want: ErrInvalid,
		},
	})
}

func TestShareCalls(t *testing.T) {
	runReplayCases(t, []replayCase{
		{
			name:      "sharing a missing path reports it not found",
			exchanges: []string{"82-share-missing-path.v2"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateGroupShare(ctx, "/NoSuchFolder", "engineering", PermAll)
				return err
			},
			want: ErrNotFound,
		},
		{
			name:      "sharing with a missing group reports it not found",
			exchanges: []string{"82-share-missing-group.v2"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateGroupShare(ctx, "/TeamShare", "nosuchgroup", PermAll)
				return err
			},
			want: ErrNotFound,
		},
		{
			name: "a share without read permission is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateGroupShare(ctx, "/TeamShare", "engineering", PermUpdate)
				return err
			},
			want: ErrInvalid,
		},
		{
			name: "a relative path is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Shares(ctx, "TeamShare")
				return err
			},
			want: ErrInvalid,
		},
	})
}

func TestCreateGroupShare(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
	}{
		{"sharing a folder with a group returns the share", "81-share-with-group.v2"},
		{"sharing it again returns the same share without error", "81-share-again-same-group.v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			got, err := s.adminClient(t).CreateGroupShare(t.Context(), "/TeamShare", "engineering", PermAll)
			if err != nil {
				t.Fatal(err)
			}
			want := Share{ID: "1", ShareType: ShareTypeGroup, Path: "/TeamShare", ShareWith: "engineering",
				Permissions: PermAll, ItemType: "folder", Owner: "admin"}
			if got != want {
				t.Errorf("share = %+v, want %+v", got, want)
			}
		})
	}
}

func TestShares(t *testing.T) {
	s := newReplay(t, "83-list-shares.v2")
	got, err := s.adminClient(t).Shares(t.Context(), "/TeamShare")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "1" || got[0].ShareWith != "engineering" || got[0].Permissions != PermAll {
		t.Errorf("shares = %+v", got)
	}
}

func TestOCSAPIRequestHeader(t *testing.T) {
	// The replay server already fails any test whose client omits the
	// header; here it is stripped on purpose to check what Nextcloud does.
	tests := []struct {
		name     string
		exchange string
		call     func(ctx context.Context, c *Client) error
	}{
		{"getapppassword without the header fails the CSRF check", "73-getapppassword-no-ocs-header.v2",
			func(ctx context.Context, c *Client) error {
				_, err := c.AppPasswordFromLogin(ctx, "admin", "ADMIN-PASSWORD")
				return err
			}},
		{"groupfolders without the header fails the CSRF check", "90-gf-create-folder-no-ocs-header",
			func(ctx context.Context, c *Client) error {
				_, err := c.CreateGroupFolder(ctx, "NoHeader")
				return err
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			s.allowMissingOCSHeader = true
			c, err := New(Config{BaseURL: s.URL, User: "admin", AppPassword: "ADMIN-PASSWORD", UserAgent: UserAgent("test"),
				HTTPClient: stripHeader("OCS-APIRequest")})
			if err != nil {
				t.Fatal(err)
			}
			err = tc.call(t.Context(), c)
			var e *Error
			if !errors.As(err, &e) || e.HTTPStatus != 412 || e.Message != "CSRF check failed" || !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want a 412 CSRF failure of kind ErrInvalid", err)
			}
		})
	}
}
