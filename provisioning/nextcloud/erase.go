package nextcloud

// The calls that remove what provisioning made, for the erasure of an
// association's workspace.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// DeleteUser deletes account id with its files, shares and app data; it
// cannot be undone. ErrNotFound when there is no such account (Nextcloud
// says 998 with HTTP 404, recorded on 27.1 as A0-delete-user-missing);
// ErrForbidden for the client's own account (Nextcloud says 101) or one the
// client may not manage.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete user %q", id)
	if id == "" {
		return invalid(op, "empty user id")
	}
	if c.user != "" && strings.EqualFold(id, c.user) {
		return &Error{Op: op, Kind: ErrForbidden, Message: "the client's own account"}
	}
	return c.do(ctx, request{op: op, method: http.MethodDelete, path: ocsPath("cloud", "users", id),
		codes: codes{101: ErrForbidden, 404: ErrNotFound, 998: ErrNotFound}}, nil)
}

// DeleteGroupFolder deletes group folder id with its files, versions and
// trash; it cannot be undone. ErrNotFound when there is no such folder (the
// app answers HTTP 404).
func (c *Client) DeleteGroupFolder(ctx context.Context, id int) error {
	op := fmt.Sprintf("delete group folder %d", id)
	if id <= 0 {
		return invalid(op, "folder id %d must be positive", id)
	}
	return c.folderAction(ctx, op, http.MethodDelete, nil, "folders", strconv.Itoa(id))
}
