package nextcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Version is a Nextcloud server version, e.g. 27.1.0.
type Version struct {
	Major, Minor, Patch int // Major, Minor and Patch are the first three numbers.
}

// ParseVersion reads "27.1.0.7", "27.1.0" or "31.0.0 RC1"; parts after the third are ignored.
func ParseVersion(s string) (Version, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return Version{}, fmt.Errorf("nextcloud: empty version")
	}
	parts := strings.Split(fields[0], ".")
	var nums [3]int
	for i := 0; i < len(nums) && i < len(parts); i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("nextcloud: version %q is not numeric", s)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}, nil
}

// String formats the version as "27.1.0".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than o.
func (v Version) Compare(o Version) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

// Status is what /status.php says about the server, without authentication.
type Status struct {
	// Installed is false on a server whose setup was never finished.
	Installed bool
	// Maintenance is true while an admin or an upgrade holds the server; other routes then answer 503.
	Maintenance bool
	// NeedsDBUpgrade is true between an upgrade of the code and of the database; provisioning must wait.
	NeedsDBUpgrade bool
	// VersionString is the human version, e.g. "27.1.0".
	VersionString string
	// Version is parsed from the full version ("27.1.0.7").
	Version Version
	// ProductName is "Nextcloud" unless the host rebranded it.
	ProductName string
}

// Status reads /status.php. A server in maintenance still answers it (200,
// "maintenance":true) while every other route answers 503, so this is the
// call to make before provisioning.
func (c *Client) Status(ctx context.Context) (Status, error) {
	const op = "read status"
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+"/status.php", nil)
	if err != nil {
		return Status{}, invalid(op, "build request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, raw, err := c.send(req)
	if err != nil {
		return Status{}, &Error{Op: op, Kind: ErrUnavailable, Err: err}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return Status{}, redirected(op, resp)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := bodyMessage(raw)
		return Status{}, responseError(op, resp.StatusCode, resp.Header, 0, msg, nil)
	}
	var s struct {
		Installed      flexBool `json:"installed"`
		Maintenance    flexBool `json:"maintenance"`
		NeedsDBUpgrade flexBool `json:"needsDbUpgrade"`
		Version        string   `json:"version"`
		VersionString  string   `json:"versionstring"`
		ProductName    string   `json:"productname"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return Status{}, &Error{Op: op, Kind: ErrInvalid, HTTPStatus: resp.StatusCode,
			Message: "status.php did not answer JSON; check the base URL", Err: err}
	}
	st := Status{
		Installed:      bool(s.Installed),
		Maintenance:    bool(s.Maintenance),
		NeedsDBUpgrade: bool(s.NeedsDBUpgrade),
		VersionString:  s.VersionString,
		ProductName:    s.ProductName,
	}
	full := s.Version
	if full == "" {
		full = s.VersionString
	}
	if st.Version, err = ParseVersion(full); err != nil {
		return Status{}, &Error{Op: op, Kind: ErrInvalid, HTTPStatus: resp.StatusCode, Message: err.Error()}
	}
	return st, nil
}

// Capabilities is the part of /cloud/capabilities that provisioning depends on.
type Capabilities struct {
	// Version is the server version as the capabilities give it.
	Version Version
	// VersionString is the human version, e.g. "27.1.0".
	VersionString string
	// FilesSharingAPI: the sharing API is enabled (files_sharing.api_enabled).
	FilesSharingAPI bool
	// GroupSharing: sharing with groups is allowed (files_sharing.group_sharing).
	GroupSharing bool
	// GroupFolders: the groupfolders app is enabled. Nextcloud announces it as
	// a "groupfolders" capability whose hasGroupFolders only says whether the
	// current user sees a folder, so presence is what counts.
	GroupFolders bool
}

// Capabilities reads the server's capabilities as seen by the client's account.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	var data struct {
		Version struct {
			Major  int    `json:"major"`
			Minor  int    `json:"minor"`
			Micro  int    `json:"micro"`
			String string `json:"string"`
		} `json:"version"`
		Capabilities struct {
			FilesSharing *struct {
				APIEnabled   flexBool `json:"api_enabled"`
				GroupSharing flexBool `json:"group_sharing"`
			} `json:"files_sharing"`
			GroupFolders json.RawMessage `json:"groupfolders"`
		} `json:"capabilities"`
	}
	err := c.do(ctx, request{op: "read capabilities", method: http.MethodGet, path: ocsPath("cloud", "capabilities")}, &data)
	if err != nil {
		return Capabilities{}, err
	}
	caps := Capabilities{
		Version:       Version{Major: data.Version.Major, Minor: data.Version.Minor, Patch: data.Version.Micro},
		VersionString: data.Version.String,
		GroupFolders:  len(data.Capabilities.GroupFolders) > 0 && string(data.Capabilities.GroupFolders) != "null",
	}
	if fs := data.Capabilities.FilesSharing; fs != nil {
		caps.FilesSharingAPI = bool(fs.APIEnabled)
		caps.GroupSharing = bool(fs.GroupSharing)
	}
	return caps, nil
}

// CurrentUser returns the account the client acts as; User.Admin says whether it may provision.
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	var data userData
	err := c.do(ctx, request{op: "read current user", method: http.MethodGet, path: ocsPath("cloud", "user")}, &data)
	if err != nil {
		return User{}, err
	}
	return data.user(), nil
}
