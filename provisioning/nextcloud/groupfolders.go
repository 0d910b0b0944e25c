package nextcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Permission is a Nextcloud permission bit set, used by shares and group folders.
type Permission int

// Permission bits, as the sharing API and the groupfolders app number them.
const (
	PermRead   Permission = 1  // PermRead lets members see and download; every share needs it.
	PermUpdate Permission = 2  // PermUpdate lets members change files.
	PermCreate Permission = 4  // PermCreate lets members add files and folders.
	PermDelete Permission = 8  // PermDelete lets members delete.
	PermShare  Permission = 16 // PermShare lets members share further.
	PermAll    Permission = 31 // PermAll is all of the above.
)

// valid reports whether p includes read and no unknown bit; Nextcloud refuses shares without read.
func (p Permission) valid() bool { return p&PermRead != 0 && p&^PermAll == 0 }

// QuotaUnlimited is the group folder quota meaning "no limit" (also a new folder's default).
const QuotaUnlimited int64 = -3

// GroupFolder is a folder of the groupfolders app, mounted for the groups it lists.
type GroupFolder struct {
	// ID identifies the folder in the app's routes.
	ID int
	// MountPoint is the folder's name in its members' files.
	MountPoint string
	// Groups maps each group with access to its permissions. Groups that do
	// not exist are kept: the app accepts them without complaint.
	Groups map[string]Permission
	// Quota in bytes, QuotaUnlimited when there is none.
	Quota int64
	// Size is the space used, in bytes.
	Size int64
	// ACL is true when advanced permissions are enabled.
	ACL bool
}

// The groupfolders app has its own routes under /index.php/apps/groupfolders
// (in Nextcloud 27 /ocs/v2.php/apps/groupfolders answers 404). They answer
// with a v1 OCS envelope: statuscode 100 on success and HTTP 200 even for
// errors, e.g. statuscode 404 for a missing folder.
func groupfoldersPath(segments ...string) string {
	return "/index.php/apps/groupfolders" + escapeSegments(segments)
}

// folderData is a folder as the app encodes it. PHP encodes an empty map as
// [], so "groups" is [] for a folder without groups.
type folderData struct {
	ID         flexNum         `json:"id"`
	MountPoint string          `json:"mount_point"`
	Groups     json.RawMessage `json:"groups"`
	Quota      flexNum         `json:"quota"`
	Size       flexNum         `json:"size"`
	ACL        flexBool        `json:"acl"`
}

func (d folderData) folder() (GroupFolder, error) {
	f := GroupFolder{
		ID:         int(d.ID.int64()),
		MountPoint: d.MountPoint,
		Groups:     map[string]Permission{},
		Quota:      d.Quota.int64(),
		Size:       d.Size.int64(),
		ACL:        bool(d.ACL),
	}
	raw := bytes.TrimSpace(d.Groups)
	if len(raw) == 0 || raw[0] != '{' {
		return f, nil // [] or null: no groups
	}
	// Values are permissions; some versions send {"permissions":31,…} objects.
	var groups map[string]json.RawMessage
	if err := json.Unmarshal(raw, &groups); err != nil {
		return f, err
	}
	for g, v := range groups {
		var n flexNum
		if err := json.Unmarshal(v, &n); err != nil {
			var obj struct {
				Permissions flexNum `json:"permissions"`
			}
			if err := json.Unmarshal(v, &obj); err != nil {
				return f, err
			}
			n = obj.Permissions
		}
		f.Groups[g] = Permission(n.int64())
	}
	return f, nil
}

// GroupFolders lists every group folder, by id.
func (c *Client) GroupFolders(ctx context.Context) ([]GroupFolder, error) {
	const op = "list group folders"
	var raw json.RawMessage
	if err := c.do(ctx, request{op: op, method: http.MethodGet, path: groupfoldersPath("folders")}, &raw); err != nil {
		return nil, err
	}
	var items []folderData
	switch raw = bytes.TrimSpace(raw); {
	case len(raw) > 0 && raw[0] == '{':
		var byID map[string]folderData
		if err := json.Unmarshal(raw, &byID); err != nil {
			return nil, &Error{Op: op, Kind: ErrInvalid, Message: "unexpected response data", Err: err}
		}
		items = sortedValues(byID)
	case len(raw) > 0 && raw[0] == '[':
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, &Error{Op: op, Kind: ErrInvalid, Message: "unexpected response data", Err: err}
		}
	}
	folders := make([]GroupFolder, 0, len(items))
	for _, d := range items {
		f, err := d.folder()
		if err != nil {
			return nil, &Error{Op: op, Kind: ErrInvalid, Message: "unexpected response data", Err: err}
		}
		folders = append(folders, f)
	}
	sort.Slice(folders, func(i, j int) bool { return folders[i].ID < folders[j].ID })
	return folders, nil
}

// GroupFolder returns folder id. ErrNotFound when there is none.
func (c *Client) GroupFolder(ctx context.Context, id int) (GroupFolder, error) {
	op := fmt.Sprintf("get group folder %d", id)
	var d folderData
	if err := c.do(ctx, request{op: op, method: http.MethodGet, path: groupfoldersPath("folders", strconv.Itoa(id))}, &d); err != nil {
		return GroupFolder{}, err
	}
	f, err := d.folder()
	if err != nil {
		return GroupFolder{}, &Error{Op: op, Kind: ErrInvalid, Message: "unexpected response data", Err: err}
	}
	return f, nil
}

// CreateGroupFolder creates a folder mounted as mountPoint and returns its id.
// It is not idempotent: the app creates a second folder with the same mount
// point if asked twice, so look for it with GroupFolders before creating.
func (c *Client) CreateGroupFolder(ctx context.Context, mountPoint string) (int, error) {
	op := fmt.Sprintf("create group folder %q", mountPoint)
	if err := validMountPoint(op, mountPoint); err != nil {
		return 0, err
	}
	var data struct {
		ID flexNum `json:"id"`
	}
	err := c.do(ctx, request{op: op, method: http.MethodPost, path: groupfoldersPath("folders"),
		form: url.Values{"mountpoint": {mountPoint}}}, &data)
	if err != nil {
		return 0, err
	}
	if !data.ID.isNum || data.ID.int64() <= 0 {
		return 0, &Error{Op: op, Kind: ErrInvalid, Message: "the answer carries no folder id"}
	}
	return int(data.ID.int64()), nil
}

// AddGroupToFolder gives group access to folder id (with all permissions,
// the app's default). The app accepts a group that does not exist, so
// create the group first.
func (c *Client) AddGroupToFolder(ctx context.Context, id int, group string) error {
	op := fmt.Sprintf("add group %q to group folder %d", group, id)
	if group == "" {
		return invalid(op, "empty group id")
	}
	return c.folderAction(ctx, op, http.MethodPost, url.Values{"group": {group}}, "folders", strconv.Itoa(id), "groups")
}

// RemoveGroupFromFolder takes group's access to folder id away. The route
// (DELETE /folders/{id}/groups/{group}) is the app's documented one; it is
// not among the recorded exchanges.
func (c *Client) RemoveGroupFromFolder(ctx context.Context, id int, group string) error {
	op := fmt.Sprintf("remove group %q from group folder %d", group, id)
	if group == "" {
		return invalid(op, "empty group id")
	}
	return c.folderAction(ctx, op, http.MethodDelete, nil, "folders", strconv.Itoa(id), "groups", group)
}

// SetFolderPermissions sets what group may do in folder id.
func (c *Client) SetFolderPermissions(ctx context.Context, id int, group string, perms Permission) error {
	op := fmt.Sprintf("set permissions of group %q on group folder %d", group, id)
	if group == "" {
		return invalid(op, "empty group id")
	}
	if !perms.valid() {
		return invalid(op, "permissions %d must include read (1) and stay within 31", perms)
	}
	return c.folderAction(ctx, op, http.MethodPost, url.Values{"permissions": {strconv.Itoa(int(perms))}},
		"folders", strconv.Itoa(id), "groups", group)
}

// SetFolderQuota sets folder id's quota in bytes, or QuotaUnlimited.
func (c *Client) SetFolderQuota(ctx context.Context, id int, bytes int64) error {
	op := fmt.Sprintf("set quota of group folder %d", id)
	if bytes <= 0 && bytes != QuotaUnlimited {
		return invalid(op, "quota %d must be positive or QuotaUnlimited", bytes)
	}
	return c.folderAction(ctx, op, http.MethodPost, url.Values{"quota": {strconv.FormatInt(bytes, 10)}},
		"folders", strconv.Itoa(id), "quota")
}

// folderAction sends a groupfolders request whose answer is {"success":true}.
func (c *Client) folderAction(ctx context.Context, op, method string, form url.Values, segments ...string) error {
	var data struct {
		Success *flexBool `json:"success"`
	}
	if err := c.do(ctx, request{op: op, method: method, path: groupfoldersPath(segments...), form: form}, &data); err != nil {
		return err
	}
	if data.Success != nil && !bool(*data.Success) {
		return &Error{Op: op, Kind: ErrInvalid, Message: "the app answered success=false"}
	}
	return nil
}

func validMountPoint(op, mp string) error {
	switch {
	case mp == "" || mp != strings.TrimSpace(mp):
		return invalid(op, "mount point %q is empty or padded with spaces", mp)
	case strings.ContainsAny(mp, `/\`):
		return invalid(op, "mount point %q must be a single folder name", mp)
	case mp == "." || mp == "..":
		return invalid(op, "mount point %q is not a folder name", mp)
	}
	return nil
}
