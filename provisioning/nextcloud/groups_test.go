package nextcloud

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestGroupCalls(t *testing.T) {
	runReplayCases(t, []replayCase{
		{
			name:      "creating a group succeeds",
			exchanges: []string{"10-create-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.CreateGroup(ctx, "marketing", "") },
		},
		{
			name:      "creating a group with a display name sends it",
			exchanges: []string{"10-create-group-displayname.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.CreateGroup(ctx, "sales-eu", "Sales Europe") },
		},
		{
			name:      "creating an existing group reports it already exists",
			exchanges: []string{"11-create-group-exists.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.CreateGroup(ctx, "engineering", "") },
			want:      ErrAlreadyExists,
		},
		{
			name:      "creating a group as a non-admin is forbidden",
			exchanges: []string{"A2-nonadmin-create-group.v2"},
			as:        "alice",
			call:      func(ctx context.Context, c *Client) error { return c.CreateGroup(ctx, "x", "") },
			want:      ErrForbidden,
		},
		{
			name: "an empty group id is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.CreateGroup(ctx, "", "") },
			want: ErrInvalid,
		},
		{
			name: "a group id with a slash is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.CreateGroup(ctx, "team/a b#ü", "") },
			want: ErrInvalid,
		},
		{
			name: "a group id over 64 bytes is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.CreateGroup(ctx, strings.Repeat("g", 65), "") },
			want: ErrInvalid,
		},
		{
			name:      "getting a missing group reports it not found",
			exchanges: []string{"14-get-group-missing.v2"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetGroup(ctx, "nosuchgroup")
				return err
			},
			want: ErrNotFound,
		},
		{
			name:      "a missing group does not exist, without error",
			exchanges: []string{"14-get-group-missing.v2"},
			call: func(ctx context.Context, c *Client) error {
				ok, err := c.GroupExists(ctx, "nosuchgroup")
				if err == nil && ok {
					return errors.New("GroupExists said true")
				}
				return err
			},
		},
		{
			name:      "deleting a group whose id needs percent-encoding succeeds",
			exchanges: []string{"A1-delete-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DeleteGroup(ctx, "team/a b#ü") },
		},
		{
			name:      "deleting a missing group reports it not found although Nextcloud says 101",
			exchanges: []string{"A1-delete-group-missing.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DeleteGroup(ctx, "nosuchgroup") },
			want:      ErrNotFound,
		},
		{
			name:      "deleting the admin group is forbidden",
			exchanges: []string{"A1-delete-admin-group.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DeleteGroup(ctx, "admin") },
			want:      ErrForbidden,
		},
	})
}

func TestGroupMembers(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
		group    string
		want     []string
	}{
		{"members of a group are listed", "43-list-group-members.v2", "engineering", []string{"alice", "bob"}},
		{"a group id with slash, space, hash and umlaut travels percent-encoded", "43-list-group-members-urlencoded.v2", "team/a b#ü", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			got, err := s.adminClient(t).GroupMembers(t.Context(), tc.group)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("members = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCreateGroupReportsWhatTheServerSaid(t *testing.T) {
	s := newReplay(t, "11-create-group-exists.v2.json")
	err := s.adminClient(t).CreateGroup(t.Context(), "engineering", "")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *Error", err)
	}
	if e.HTTPStatus != 400 || e.OCSStatus != 102 || e.Message != "group exists" || e.Op != `create group "engineering"` {
		t.Errorf("got %+v, want HTTP 400, OCS 102, message %q", e, "group exists")
	}
	if got := s.seen()[0].form().Get("groupid"); got != "engineering" {
		t.Errorf("groupid sent = %q", got)
	}
}
