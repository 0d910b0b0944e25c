package nextcloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AdminGroup is the group whose members administer the whole server.
const AdminGroup = "admin"

// Quota is a user's storage quota and use, in bytes.
type Quota struct {
	// Used is the space used. It stays 0 until the user's first login or WebDAV request creates their home.
	Used int64
	// Free is the space left; 0 until the home exists.
	Free int64
	// Total is Used+Free once the home exists. For an unlimited user it is
	// the free disk space plus Used, not a quota.
	Total int64
	// Relative is the percentage used, 0–100.
	Relative float64
	// Limit is the configured quota; 0 when Unlimited or unknown.
	Limit int64
	// Unlimited is true when no quota applies ("none", or -3).
	Unlimited bool
}

// User is an account as the provisioning API describes it.
type User struct {
	// ID is the login, unique without regard to case.
	ID string
	// DisplayName is the name shown in Nextcloud.
	DisplayName string
	// Email is empty when unset (Nextcloud sends null).
	Email string
	// Enabled is false for a disabled account, which cannot log in.
	Enabled bool
	// Groups are the groups the user belongs to.
	Groups []string
	// SubadminGroups are the groups this user administers.
	SubadminGroups []string
	// Quota is the storage quota and use.
	Quota Quota
	// LastLogin is zero until the first login.
	LastLogin time.Time
	// Language is the user's language code, e.g. "fr"; empty for the server default.
	Language string
	// Admin is true when the user is in the admin group.
	Admin bool
}

// userData is the JSON of GET /cloud/users/{id} and /cloud/user.
type userData struct {
	ID           string   `json:"id"`
	Enabled      flexBool `json:"enabled"`
	Email        *string  `json:"email"`
	DisplayName  string   `json:"displayname"`
	DisplayName2 string   `json:"display-name"`
	Groups       list     `json:"groups"`
	Subadmin     list     `json:"subadmin"`
	Quota        struct {
		Free     flexNum `json:"free"`
		Used     flexNum `json:"used"`
		Total    flexNum `json:"total"`
		Relative flexNum `json:"relative"`
		Quota    flexNum `json:"quota"`
	} `json:"quota"`
	LastLogin flexNum `json:"lastLogin"`
	Language  string  `json:"language"`
}

// spaceUnlimited is FileInfo::SPACE_UNLIMITED, Nextcloud's "no quota".
const spaceUnlimited = -3

func (d userData) user() User {
	u := User{
		ID:             d.ID,
		DisplayName:    d.DisplayName,
		Enabled:        bool(d.Enabled),
		Groups:         []string(d.Groups),
		SubadminGroups: []string(d.Subadmin),
		Language:       d.Language,
	}
	if u.DisplayName == "" {
		u.DisplayName = d.DisplayName2
	}
	if d.Email != nil {
		u.Email = *d.Email
	}
	u.Admin = slices.Contains(u.Groups, AdminGroup)
	// lastLogin is in milliseconds since the epoch.
	if ms := d.LastLogin.int64(); ms > 0 {
		u.LastLogin = time.UnixMilli(ms).UTC()
	}
	q := d.Quota
	u.Quota = Quota{Used: q.Used.int64(), Free: q.Free.int64(), Total: q.Total.int64(), Relative: q.Relative.n}
	switch {
	case q.Quota.isNum && q.Quota.n == spaceUnlimited:
		u.Quota.Unlimited = true
	case q.Quota.isNum && q.Quota.n > 0:
		u.Quota.Limit = q.Quota.int64()
	case strings.EqualFold(q.Quota.s, "none"):
		u.Quota.Unlimited = true
	case q.Quota.s != "":
		if n, err := parseSize(q.Quota.s); err == nil {
			u.Quota.Limit = n
		}
	}
	return u
}

// userCodes are the meanings of OCS codes on calls that name an existing user.
var userCodes = codes{404: ErrNotFound, 998: ErrNotFound}

// GetUser returns the user id. ErrNotFound also when the account may not see
// that user (Nextcloud answers 998 rather than 403).
func (c *Client) GetUser(ctx context.Context, id string) (User, error) {
	op := fmt.Sprintf("get user %q", id)
	if id == "" {
		return User{}, invalid(op, "empty user id")
	}
	var data userData
	err := c.do(ctx, request{op: op, method: http.MethodGet, path: ocsPath("cloud", "users", id), codes: userCodes}, &data)
	if err != nil {
		return User{}, err
	}
	return data.user(), nil
}

// ListUsers returns the ids of the users matching search (id, display name
// or e-mail; all when empty). A subadmin only sees the users of their groups.
func (c *Client) ListUsers(ctx context.Context, search string) ([]string, error) {
	q := url.Values{}
	if search != "" {
		q.Set("search", search)
	}
	var data struct {
		Users list `json:"users"`
	}
	err := c.do(ctx, request{op: fmt.Sprintf("list users %q", search), method: http.MethodGet, path: ocsPath("cloud", "users"), query: q}, &data)
	if err != nil {
		return nil, err
	}
	return []string(data.Users), nil
}

// NewUser describes an account to create. There is no password: Nextcloud
// then requires an e-mail and sends its welcome mail with a link to set one.
type NewUser struct {
	// ID is the login; see ValidUserID.
	ID string
	// Email receives the welcome mail; required.
	Email string
	// DisplayName is the name shown; the id when empty. CreateUser cuts it
	// to 64 characters (ShortDisplayName).
	DisplayName string
	// Language is a Nextcloud language code such as "fr"; server default when empty.
	Language string
	// Quota is "5 GB", "1073741824", "none" or "default"; server default when empty. See ValidQuota.
	Quota string
	// Groups must exist already.
	Groups []string
}

// Validate checks u against the rules of Nextcloud 27–31 before anything is sent.
func (u NewUser) Validate() error {
	const op = "validate new user"
	if err := ValidUserID(u.ID); err != nil {
		return err
	}
	if err := validEmail(op, u.Email); err != nil {
		return err
	}
	if u.Email == "" {
		return invalid(op, "an e-mail is required: the welcome mail carries the link to set a password")
	}
	if u.DisplayName != "" {
		if err := validDisplayName(op, u.DisplayName); err != nil {
			return err
		}
	}
	if u.Quota != "" {
		if err := ValidQuota(u.Quota); err != nil {
			return err
		}
	}
	if u.Language != "" {
		if err := validLanguage(op, u.Language); err != nil {
			return err
		}
	}
	for _, g := range u.Groups {
		if g == "" {
			return invalid(op, "empty group id")
		}
	}
	return nil
}

// CreateUser creates an account without a password, in one call: e-mail,
// display name, language, groups and quota go with the creation, and
// Nextcloud e-mails the user a link to choose a password (unless the host
// disabled welcome mails or its mail server failed, neither of which it
// reports). ErrAlreadyExists when the id is taken, in any case: "ALICE"
// clashes with "alice". ErrNotFound when a group does not exist (nothing is
// created then).
//
// Nextcloud applies a quota given at creation after creating the user; when
// it refuses it (a value above the host's maximum, say) it answers 102 on
// 27 (the code of "already exists") or 101 on 34, with "Invalid quota
// value", skips the welcome mail, and the account exists. CreateUser tells
// that case apart by the message: ErrQuota, with an Op saying the user was
// created; set an accepted quota with EditUser, then ResendWelcome.
func (c *Client) CreateUser(ctx context.Context, u NewUser) error {
	op := fmt.Sprintf("create user %q", u.ID)
	u.DisplayName = ShortDisplayName(u.DisplayName)
	if err := u.Validate(); err != nil {
		return err
	}
	form := url.Values{}
	form.Set("userid", u.ID)
	form.Set("email", u.Email)
	if u.DisplayName != "" {
		form.Set("displayName", u.DisplayName)
	}
	if u.Language != "" {
		form.Set("language", u.Language)
	}
	if u.Quota != "" {
		form.Set("quota", u.Quota)
	}
	for _, g := range u.Groups {
		form.Add("groups[]", g)
	}
	err := c.do(ctx, request{op: op, method: http.MethodPost, path: ocsPath("cloud", "users"), form: form,
		codes: codes{102: ErrAlreadyExists, 104: ErrNotFound, 105: ErrForbidden, 106: ErrForbidden}}, nil)
	var e *Error
	if errors.As(err, &e) && strings.HasPrefix(e.Message, "Invalid quota value") {
		e.Kind = ErrQuota
		e.Op = fmt.Sprintf("create user %q: user created without welcome mail, but quota %q refused", u.ID, u.Quota)
	}
	return err
}

// UserField is a field EditUser may change.
type UserField string

// The fields Archipel edits; passwords are never set by Archipel.
const (
	FieldQuota       UserField = "quota"       // FieldQuota takes what ValidQuota accepts.
	FieldEmail       UserField = "email"       // FieldEmail takes a bare address, or "" to clear it.
	FieldDisplayName UserField = "displayname" // FieldDisplayName takes up to 64 characters.
	FieldLanguage    UserField = "language"    // FieldLanguage takes a language code such as "fr".
)

// EditUser sets one field of user id. The value is checked first: a negative
// quota makes Nextcloud 27 fail with a 500, an invalid e-mail is refused
// (400), and an empty e-mail clears it. ErrQuota when the host refuses a
// well-formed quota (above its maximum, or unlimited where forbidden).
func (c *Client) EditUser(ctx context.Context, id string, key UserField, value string) error {
	op := fmt.Sprintf("edit user %q %s", id, key)
	if id == "" {
		return invalid(op, "empty user id")
	}
	switch key {
	case FieldQuota:
		if err := ValidQuota(value); err != nil {
			return err
		}
	case FieldEmail:
		if err := validEmail(op, value); err != nil {
			return err
		}
	case FieldDisplayName:
		value = ShortDisplayName(value)
		if err := validDisplayName(op, value); err != nil {
			return err
		}
	case FieldLanguage:
		if err := validLanguage(op, value); err != nil {
			return err
		}
	default:
		return invalid(op, "field %q is not one Archipel edits", key)
	}
	form := url.Values{"key": {string(key)}, "value": {value}}
	// 101, 102, 103 and (28+) 113 all mean a refused value or key here, and
	// a quota that passed ValidQuota can only be refused by the host's limits
	// (102 on 27, 101 on 34: "Invalid quota value").
	perCall := userCodes
	if key == FieldQuota {
		perCall = codes{404: ErrNotFound, 998: ErrNotFound, 101: ErrQuota, 102: ErrQuota}
	}
	return c.do(ctx, request{op: op, method: http.MethodPut, path: ocsPath("cloud", "users", id), form: form, codes: perCall}, nil)
}

// setEnabled codes: 101 is both "no such user" and "that is you"; the
// client refuses the second case itself, so 101 means not found.
var setEnabledCodes = codes{101: ErrNotFound, 404: ErrNotFound, 998: ErrNotFound}

// DisableUser disables user id: they can no longer log in, their data and
// shares stay. Idempotent. ErrForbidden for the client's own account.
func (c *Client) DisableUser(ctx context.Context, id string) error {
	return c.setEnabled(ctx, id, "disable")
}

// EnableUser enables user id again. Idempotent.
func (c *Client) EnableUser(ctx context.Context, id string) error {
	return c.setEnabled(ctx, id, "enable")
}

func (c *Client) setEnabled(ctx context.Context, id, action string) error {
	op := fmt.Sprintf("%s user %q", action, id)
	if id == "" {
		return invalid(op, "empty user id")
	}
	if c.user != "" && strings.EqualFold(id, c.user) {
		return &Error{Op: op, Kind: ErrForbidden, Message: "the client's own account"}
	}
	return c.do(ctx, request{op: op, method: http.MethodPut, path: ocsPath("cloud", "users", id, action), codes: setEnabledCodes}, nil)
}

// AddToGroup adds user to group. Idempotent. ErrNotFound when either is missing.
func (c *Client) AddToGroup(ctx context.Context, user, group string) error {
	op := fmt.Sprintf("add user %q to group %q", user, group)
	if user == "" || group == "" {
		return invalid(op, "empty user or group id")
	}
	return c.do(ctx, request{op: op, method: http.MethodPost, path: ocsPath("cloud", "users", user, "groups"),
		form:  url.Values{"groupid": {group}},
		codes: codes{101: ErrInvalid, 102: ErrNotFound, 103: ErrNotFound, 104: ErrForbidden}}, nil)
}

// RemoveFromGroup removes user from group. Idempotent when the user is not a
// member; ErrNotFound when the user or group is missing.
func (c *Client) RemoveFromGroup(ctx context.Context, user, group string) error {
	op := fmt.Sprintf("remove user %q from group %q", user, group)
	if user == "" || group == "" {
		return invalid(op, "empty user or group id")
	}
	return c.do(ctx, request{op: op, method: http.MethodDelete, path: ocsPath("cloud", "users", user, "groups"),
		form:  url.Values{"groupid": {group}},
		codes: codes{101: ErrInvalid, 102: ErrNotFound, 103: ErrNotFound, 104: ErrForbidden, 105: ErrForbidden}}, nil)
}

// PromoteSubadmin makes user a subadmin of group. Idempotent. ErrNotFound
// when either is missing, ErrForbidden for the admin group.
func (c *Client) PromoteSubadmin(ctx context.Context, user, group string) error {
	op := fmt.Sprintf("promote user %q subadmin of %q", user, group)
	if user == "" || group == "" {
		return invalid(op, "empty user or group id")
	}
	return c.do(ctx, request{op: op, method: http.MethodPost, path: ocsPath("cloud", "users", user, "subadmins"),
		form:  url.Values{"groupid": {group}},
		codes: codes{101: ErrNotFound, 102: ErrNotFound, 103: ErrForbidden}}, nil)
}

// DemoteSubadmin removes user's subadmin right on group. ErrNotFound when the
// user, the group or the right does not exist.
func (c *Client) DemoteSubadmin(ctx context.Context, user, group string) error {
	op := fmt.Sprintf("demote user %q subadmin of %q", user, group)
	if user == "" || group == "" {
		return invalid(op, "empty user or group id")
	}
	return c.do(ctx, request{op: op, method: http.MethodDelete, path: ocsPath("cloud", "users", user, "subadmins"),
		form:  url.Values{"groupid": {group}},
		codes: codes{101: ErrNotFound, 102: ErrNotFound}}, nil)
}

// SubadminGroups returns the groups user administers.
func (c *Client) SubadminGroups(ctx context.Context, user string) ([]string, error) {
	op := fmt.Sprintf("list subadmin groups of %q", user)
	if user == "" {
		return nil, invalid(op, "empty user id")
	}
	var groups list
	err := c.do(ctx, request{op: op, method: http.MethodGet, path: ocsPath("cloud", "users", user, "subadmins"),
		codes: codes{101: ErrNotFound, 404: ErrNotFound, 998: ErrNotFound}}, &groups)
	if err != nil {
		return nil, err
	}
	return []string(groups), nil
}

// ResendWelcome sends the welcome mail of user id again. Beware: unlike the
// mail sent at creation, it carries no set-password link (Nextcloud builds it
// without a reset token), only the login address; a user who never set a
// password needs the "forgot password" flow instead. ErrInvalid when the user
// has no e-mail, ErrUnavailable when the host's mail server failed.
func (c *Client) ResendWelcome(ctx context.Context, id string) error {
	op := fmt.Sprintf("resend welcome mail to %q", id)
	if id == "" {
		return invalid(op, "empty user id")
	}
	return c.do(ctx, request{op: op, method: http.MethodPost, path: ocsPath("cloud", "users", id, "welcome"),
		codes: codes{101: ErrInvalid, 102: ErrUnavailable, 404: ErrNotFound, 998: ErrNotFound}}, nil)
}
