package nextcloud

import (
	"context"
	"testing"
)

func TestDeleteCalls(t *testing.T) {
	runReplayCases(t, []replayCase{
		{
			name:      "deleting an account succeeds",
			exchanges: []string{"A0-delete-user.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DeleteUser(ctx, "gina") },
		},
		{
			name:      "deleting a missing account reports it not found (Nextcloud says 998 with a 404)",
			exchanges: []string{"A0-delete-user-missing.v2"},
			call:      func(ctx context.Context, c *Client) error { return c.DeleteUser(ctx, "nosuchuser") },
			want:      ErrNotFound,
		},
		{
			name: "the client's own account is never deleted, not even asked",
			call: func(ctx context.Context, c *Client) error { return c.DeleteUser(ctx, "ADMIN") },
			want: ErrForbidden,
		},
		{
			name: "an empty account id is refused before any call",
			call: func(ctx context.Context, c *Client) error { return c.DeleteUser(ctx, "") },
			want: ErrInvalid,
		},
		{
			name: "a folder id that cannot exist is refused before any call",
			call: func(ctx context.Context, c *Client) error { return c.DeleteGroupFolder(ctx, 0) },
			want: ErrInvalid,
		},
	})
}
