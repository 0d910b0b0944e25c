package nextcloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Group is a group and its members.
type Group struct {
	// ID is the group id.
	ID string
	// Members are the ids of the users in the group.
	Members []string
}

// GetGroup returns group id with its members. ErrNotFound when it does not exist.
func (c *Client) GetGroup(ctx context.Context, id string) (Group, error) {
	op := fmt.Sprintf("get group %q", id)
	if id == "" {
		return Group{}, invalid(op, "empty group id")
	}
	var data struct {
		Users list `json:"users"`
	}
	err := c.do(ctx, request{op: op, method: http.MethodGet, path: ocsPath("cloud", "groups", id), codes: codes{404: ErrNotFound}}, &data)
	if err != nil {
		return Group{}, err
	}
	return Group{ID: id, Members: []string(data.Users)}, nil
}

// GroupExists reports whether group id exists.
func (c *Client) GroupExists(ctx context.Context, id string) (bool, error) {
	_, err := c.GetGroup(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, err
}

// GroupMembers returns the ids of group id's members.
func (c *Client) GroupMembers(ctx context.Context, id string) ([]string, error) {
	g, err := c.GetGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	return g.Members, nil
}

// CreateGroup creates group id, named displayName when not empty (cut to
// 64 characters by ShortDisplayName).
// ErrAlreadyExists when it exists; the display name is then left as it is.
func (c *Client) CreateGroup(ctx context.Context, id, displayName string) error {
	op := fmt.Sprintf("create group %q", id)
	if err := ValidGroupID(id); err != nil {
		return err
	}
	form := url.Values{"groupid": {id}}
	if displayName != "" {
		displayName = ShortDisplayName(displayName)
		if err := validDisplayName(op, displayName); err != nil {
			return err
		}
		form.Set("displayname", displayName)
	}
	return c.do(ctx, request{op: op, method: http.MethodPost, path: ocsPath("cloud", "groups"), form: form,
		codes: codes{101: ErrInvalid, 102: ErrAlreadyExists, 103: ErrForbidden}}, nil)
}

// DeleteGroup deletes group id; members keep their accounts. ErrNotFound when
// it does not exist (Nextcloud says 101), ErrForbidden for the admin group.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete group %q", id)
	if id == "" {
		return invalid(op, "empty group id")
	}
	return c.do(ctx, request{op: op, method: http.MethodDelete, path: ocsPath("cloud", "groups", id),
		codes: codes{101: ErrNotFound, 102: ErrForbidden}}, nil)
}
