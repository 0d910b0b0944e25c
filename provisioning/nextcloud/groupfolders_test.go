package nextcloud

import (
	"context"
	"errors"
	"maps"
	"testing"
)

func TestGroupFolderCalls(t *testing.T) {
	runReplayCases(t, []replayCase{
		{
			name:      "creating a group folder returns its id",
			exchanges: []string{"90-gf-create-folder"},
			call: func(ctx context.Context, c *Client) error {
				id, err := c.CreateGroupFolder(ctx, "Engineering Files")
				if err == nil && id != 1 {
					return errors.New("wrong id")
				}
				return err
			},
		},
		{
			name:      "giving a group access to a folder succeeds",
			exchanges: []string{"91-gf-add-group"},
			call:      func(ctx context.Context, c *Client) error { return c.AddGroupToFolder(ctx, 1, "engineering") },
		},
		{
			name:      "giving a missing group access to a folder also succeeds",
			exchanges: []string{"91-gf-add-missing-group"},
			call:      func(ctx context.Context, c *Client) error { return c.AddGroupToFolder(ctx, 1, "nosuchgroup") },
		},
		{
			name:      "setting a group's permissions on a folder succeeds",
			exchanges: []string{"91-gf-set-permissions"},
			call: func(ctx context.Context, c *Client) error {
				return c.SetFolderPermissions(ctx, 1, "engineering", PermAll)
			},
		},
		{
			name:      "setting a folder quota in bytes succeeds",
			exchanges: []string{"92-gf-set-quota"},
			call:      func(ctx context.Context, c *Client) error { return c.SetFolderQuota(ctx, 1, 10737418240) },
		},
		{
			name:      "removing a folder quota succeeds",
			exchanges: []string{"92-gf-set-quota-unlimited"},
			call:      func(ctx context.Context, c *Client) error { return c.SetFolderQuota(ctx, 1, QuotaUnlimited) },
		},
		{
			name:      "getting a missing folder reports it not found despite HTTP 200",
			exchanges: []string{"93-gf-get-missing"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GroupFolder(ctx, 9999)
				return err
			},
			want: ErrNotFound,
		},
		{
			name: "a zero folder quota is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.SetFolderQuota(ctx, 1, 0) },
			want: ErrInvalid,
		},
		{
			name: "a nested mount point is refused before sending",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateGroupFolder(ctx, "Assos/Engineering")
				return err
			},
			want: ErrInvalid,
		},
	})
}

func TestGroupFolders(t *testing.T) {
	s := newReplay(t, "93-gf-list")
	got, err := s.adminClient(t).GroupFolders(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupFolder{
		{ID: 1, MountPoint: "Engineering Files", Groups: map[string]Permission{"engineering": 31, "nosuchgroup": 31}, Quota: 10737418240},
		// A folder without groups comes with "groups":[] rather than {}.
		{ID: 2, MountPoint: "Marketing Files", Groups: map[string]Permission{}, Quota: QuotaUnlimited},
	}
	if len(got) != len(want) {
		t.Fatalf("folders = %+v, want %+v", got, want)
	}
	for i := range want {
		if !sameFolder(got[i], want[i]) {
			t.Errorf("folder %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestGroupFolder(t *testing.T) {
	s := newReplay(t, "93-gf-get-one")
	got, err := s.adminClient(t).GroupFolder(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := GroupFolder{ID: 1, MountPoint: "Engineering Files", Groups: map[string]Permission{"engineering": 31, "nosuchgroup": 31}, Quota: 10737418240}
	if !sameFolder(got, want) {
		t.Errorf("folder = %+v, want %+v", got, want)
	}
}

func sameFolder(a, b GroupFolder) bool {
	return a.ID == b.ID && a.MountPoint == b.MountPoint && maps.Equal(a.Groups, b.Groups) &&
		a.Quota == b.Quota && a.Size == b.Size && a.ACL == b.ACL
}

func TestGroupFolderDataShapes(t *testing.T) {
	tests := []struct {
		name   string
		groups string
		want   map[string]Permission
	}{
		{"groups as a map of permissions are read", `{"a":31,"b":1}`, map[string]Permission{"a": 31, "b": 1}},
		{"groups as an empty list mean none", `[]`, map[string]Permission{}},
		{"groups as objects with permissions are read", `{"a":{"displayName":"A","permissions":17,"type":"group"}}`, map[string]Permission{"a": 17}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := folderData{Groups: []byte(tc.groups)}.folder()
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(f.Groups, tc.want) {
				t.Errorf("groups = %v, want %v", f.Groups, tc.want)
			}
		})
	}
}
