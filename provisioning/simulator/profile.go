package simulator

import (
	_ "embed"
	"time"
)

// Profile is one generation of Nextcloud as the simulator reproduces it:
// its version and the behaviours that set it apart, each named after what a
// client sees rather than after a version number, so that a test can also
// build a profile in between. Profile27 and Profile34 are faithful to the
// exchanges recorded in provisioning/testdata/nextcloud/nc27 and nc34.
//
// It is the extension point for what differs between generations: a new
// behaviour is a new field (false/zero meaning "as in 27.1"), set in the
// constructors below, and read where the simulator answers.
type Profile struct {
	// Name is the generation's short name, e.g. "27.1" or "34.0.1".
	Name string
	// Version is the version.php version reported by status.php and the
	// capabilities, e.g. "34.0.1.2".
	Version string

	// AppPasswordConfirms makes a Basic login with an app password count as
	// a password confirmation (27.1). Without it (34) every management write
	// made with an app password is refused with 403 "Password confirmation
	// is required": only a login with the account's real password, or an
	// explicit confirmation in a kept session, lets writes through.
	AppPasswordConfirms bool
	// ConfirmationWindow is how long a password confirmation lasts, fixed
	// from the login or confirmation (30 min 15 s on both generations).
	ConfirmationWindow time.Duration

	// BruteForceBlock makes the brute-force protection block instead of
	// slowing down (34.0.1): after more than BruteForceMaxFailures failed
	// logins from one address within BruteForceWindow, every login from it
	// (right password, app password, WebDAV) answers 429 "Reached maximum
	// delay", at once and without Retry-After; sessions opened before keep
	// working. When false the growing delay of Options.BruteForceDelay
	// applies (27.1).
	BruteForceBlock       bool
	BruteForceMaxFailures int
	BruteForceWindow      time.Duration

	// LoginLatency is how long verifying a login password takes: every
	// Basic request made with the login password pays it (argon2id: about
	// 1 s per request on the recorded 34), a session pays it once at login
	// and at each confirmation. App passwords and session cookies do not.
	// Zero (the default) answers at once; the benchmark sets it.
	LoginLatency time.Duration

	// MaxUserIDLength refuses longer user ids with 101 "Username is too
	// long" (34: 64); 0 accepts any length (27).
	MaxUserIDLength int
	// FullQuotaObject renders a user's quota as {free, used, total,
	// relative, quota} even before the first login, unlimited being the
	// integer -3 in quota, free and total (34); 27 sends {"quota":"none",
	// "used":0} before the first login and disk figures after it.
	FullQuotaObject bool
	// NewAccountFields adds to the user object the fields of 34:
	// firstLoginTimestamp, lastLoginTimestamp (seconds), bluesky, pronouns
	// and timezone.
	NewAccountFields bool
	// NewShareFields adds to the share object the fields of 34
	// (item_permissions, is-mount-root, mount-type, item_size, item_mtime)
	// and sends an empty label as "" rather than null.
	NewShareFields bool
	// EditableFields lists GET cloud/user/fields; the 27.1 list when nil.
	EditableFields []string
	// NewStatusCodes uses the status codes of provisioning_api 1.24 (34):
	// an invalid quota, e-mail or language is 101 (27: 102), an unknown
	// field 113 (27: 103), a weak password on edit 107 (27: 103), a server
	// error 996 (27: 500).
	NewStatusCodes bool
	// Messages rewrites English messages whose wording changed, keyed by
	// the 27.1 wording.
	Messages map[string]string

	// GroupFolderWholeFolder makes group-folder writes answer the whole
	// folder (34): creation gives the folder object, the other writes
	// {"success":true,"folder":{…}}; 27 answers {"id":…} and
	// {"success":true}. Folder objects also carry acl_default_no_permission
	// and, in lists, sortIndex.
	GroupFolderWholeFolder bool
	// GroupFolderPlainErrors answers group-folder errors as
	// {"message":"…"} with the HTTP status (a missing folder is a bare 404
	// "Groupfolder not found", a mount point in use a 400) instead of the
	// v1 envelope with HTTP 200 (27).
	GroupFolderPlainErrors bool

	// SkeletonSkippedOverQuota leaves the skeleton out of a new home whose
	// quota is too small for it (34); 27 failed the first request with 503.
	SkeletonSkippedOverQuota bool

	// JSONAuthErrors answers a failed Basic login in JSON when JSON was
	// asked for (34); 27 always answered XML.
	JSONAuthErrors bool

	// Apps lists the enabled apps the simulator serves beyond the core
	// (provisioning, sharing, WebDAV), e.g. "groupfolders". Options may
	// still disable group folders.
	Apps []string

	// capabilities is the recorded capabilities document of the generation.
	capabilities []byte
}

// HasApp reports whether app is enabled in the profile.
func (p Profile) HasApp(app string) bool {
	for _, a := range p.Apps {
		if a == app {
			return true
		}
	}
	return false
}

// message returns the profile's wording of a 27.1 message.
func (p Profile) message(msg27 string) string {
	if m, ok := p.Messages[msg27]; ok {
		return m
	}
	return msg27
}

// code returns c27 on a 27-style server and c34 where the status codes moved.
func (p Profile) code(c27, c34 int) int {
	if p.NewStatusCodes {
		return c34
	}
	return c27
}

// confirmationWindow is 30 min 15 s: PasswordConfirmationMiddleware's
// "last-password-confirm < now - (30*60 + 15)".
const confirmationWindow = 30*time.Minute + 15*time.Second

// Profile27 is Nextcloud 27.1.0 with groupfolders 15.3, as recorded in
// provisioning/testdata/nextcloud/nc27.
func Profile27() Profile {
	return Profile{
		Name:                  "27.1",
		Version:               "27.1.0.7",
		AppPasswordConfirms:   true,
		ConfirmationWindow:    confirmationWindow,
		BruteForceMaxFailures: 10,
		BruteForceWindow:      30 * time.Minute,
		Apps:                  []string{"groupfolders"},
		capabilities:          capabilitiesJSON,
	}
}

// Profile34 is Nextcloud 34.0.1 with groupfolders 22.0, as recorded in
// provisioning/testdata/nextcloud/nc34 (the table of differences from 27.1
// in its README is what this profile reproduces).
func Profile34() Profile {
	return Profile{
		Name:                  "34.0.1",
		Version:               "34.0.1.2",
		AppPasswordConfirms:   false,
		ConfirmationWindow:    confirmationWindow,
		BruteForceBlock:       true,
		BruteForceMaxFailures: 10,
		BruteForceWindow:      30 * time.Minute,
		MaxUserIDLength:       64,
		FullQuotaObject:       true,
		NewStatusCodes:        true,
		NewAccountFields:      true,
		NewShareFields:        true,
		EditableFields: []string{"address", "biography", "birthdate", "displayname", "email", "fediverse", "headline",
			"organisation", "phone", "profile_enabled", "pronouns", "role", "twitter", "bluesky", "website", "additional_mail"},
		GroupFolderWholeFolder:   true,
		GroupFolderPlainErrors:   true,
		JSONAuthErrors:           true,
		SkeletonSkippedOverQuota: true,
		Apps:                     []string{"groupfolders"},
		Messages: map[string]string{
			"To send a password link to the user an email address is required.": "An email address is required, to send a password link to the user.",
			msgBadChars:                                   `Only the following characters are allowed in an Login: "a-z", "A-Z", "0-9", spaces and "_.@-'"`,
			"A valid username must be provided":           "A valid Login must be provided",
			"Username must not consist of dots only":      "Login must not consist of dots only",
			"Cannot create subadmins for admin group":     "Cannot create sub-admins for admin group",
			"User is not a subadmin of this group":        "User is not a sub-admin of this group",
			msgMustBeAdmin:                                "Logged in account must be an admin, a sub admin or gotten special right to access this setting",
			"no group specified (required for subadmins)": "No group specified (required for sub-admins)",
		},
		capabilities: capabilities34JSON,
	}
}

// capabilities34JSON is the data of the recorded 34.0.1 capabilities answer
// (nc34 02-capabilities.v1), with the recorded server URL as in
// capabilities.json.
//
//go:embed capabilities34.json
var capabilities34JSON []byte
