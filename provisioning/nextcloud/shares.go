package nextcloud

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ShareTypeGroup is the share type of a share with a group.
const ShareTypeGroup = 1

// Share is a share of a file or folder of the client's account.
type Share struct {
	// ID is a string in the API ("1").
	ID string
	// ShareType is ShareTypeGroup for the shares Archipel makes.
	ShareType int
	// Path is the shared node, relative to the owner's files ("/TeamShare").
	Path string
	// ShareWith is the group (or user) the node is shared with.
	ShareWith string
	// Permissions are what the recipients may do.
	Permissions Permission
	// ItemType is "folder" or "file".
	ItemType string
	// Owner is the account that made the share.
	Owner string
}

type shareData struct {
	ID          flexString `json:"id"`
	ShareType   flexNum    `json:"share_type"`
	Path        string     `json:"path"`
	ShareWith   string     `json:"share_with"`
	Permissions flexNum    `json:"permissions"`
	ItemType    string     `json:"item_type"`
	Owner       string     `json:"uid_owner"`
}

func (d shareData) share() Share {
	return Share{
		ID:          string(d.ID),
		ShareType:   int(d.ShareType.int64()),
		Path:        d.Path,
		ShareWith:   d.ShareWith,
		Permissions: Permission(d.Permissions.int64()),
		ItemType:    d.ItemType,
		Owner:       d.Owner,
	}
}

func sharesPath(segments ...string) string {
	return ocsPath(append([]string{"apps", "files_sharing", "api", "v1", "shares"}, segments...)...)
}

// Shares lists the shares of the node at path ("/TeamShare") made by the
// client's account. ErrNotFound when the path does not exist.
func (c *Client) Shares(ctx context.Context, path string) ([]Share, error) {
	op := fmt.Sprintf("list shares of %q", path)
	if !strings.HasPrefix(path, "/") {
		return nil, invalid(op, "path must start with /")
	}
	var data []shareData
	err := c.do(ctx, request{op: op, method: http.MethodGet, path: sharesPath(), query: url.Values{"path": {path}}}, &data)
	if err != nil {
		return nil, err
	}
	shares := make([]Share, 0, len(data))
	for _, d := range data {
		shares = append(shares, d.share())
	}
	return shares, nil
}

// CreateGroupShare shares the node at path with group. Sharing the same path
// with the same group again returns the existing share unchanged, without
// error: compare its Permissions with what was asked. ErrNotFound when the
// path or the group does not exist.
func (c *Client) CreateGroupShare(ctx context.Context, path, group string, perms Permission) (Share, error) {
	op := fmt.Sprintf("share %q with group %q", path, group)
	switch {
	case !strings.HasPrefix(path, "/") || path == "/":
		return Share{}, invalid(op, "path must start with / and name a file or folder")
	case group == "":
		return Share{}, invalid(op, "empty group id")
	case !perms.valid():
		return Share{}, invalid(op, "permissions %d must include read (1) and stay within 31", perms)
	}
	form := url.Values{
		"path":        {path},
		"shareType":   {strconv.Itoa(ShareTypeGroup)},
		"shareWith":   {group},
		"permissions": {strconv.Itoa(int(perms))},
	}
	var data shareData
	if err := c.do(ctx, request{op: op, method: http.MethodPost, path: sharesPath(), form: form}, &data); err != nil {
		return Share{}, err
	}
	return data.share(), nil
}

// DeleteShare deletes share id. ErrNotFound when there is none.
func (c *Client) DeleteShare(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete share %q", id)
	if id == "" {
		return invalid(op, "empty share id")
	}
	return c.do(ctx, request{op: op, method: http.MethodDelete, path: sharesPath(id)}, nil)
}
