package provisioning

import (
	"context"
	"errors"
	"time"

	"archipel/provisioning/nextcloud"
)

// CheckReport is what a connection test learned about a host's Nextcloud.
type CheckReport struct {
	Version        string
	Admin          bool
	GroupFolders   bool
	Sharing        bool // the sharing API with group shares
	AppPassword    bool // the secret has the shape of an app password
	MaintenanceOn  bool
	Authenticated  bool   // the credentials were accepted; Admin and the rest are known
	Problem        string // message ID of the first blocking problem, "" when provisioning can work
	ProblemDetail  string
	ReachableAfter time.Duration
}

// Ready reports whether Archipel can provision on this host.
func (r CheckReport) Ready() bool { return r.Problem == "" }

// Check runs the connection test used by `archipel host check` and the
// staff's "test the connection": reachability, version, credentials,
// administrator rights, group folders or group sharing. A wrong password is
// tried once only (Nextcloud slows every later request after a failure).
func Check(ctx context.Context, c *nextcloud.Client, secret string) CheckReport {
	start := time.Now()
	var r CheckReport
	r.AppPassword = nextcloud.LooksLikeAppPassword(secret)
	status, err := c.Status(ctx)
	if err != nil {
		return r.fail("check.unreachable", err)
	}
	r.ReachableAfter = time.Since(start)
	r.Version, r.MaintenanceOn = status.VersionString, status.Maintenance
	if !status.Installed {
		return r.fail("prov.error.not_installed", nil)
	}
	if status.Maintenance {
		return r.fail("prov.error.maintenance", nil)
	}
	if status.Version.Major < 27 {
		return r.fail("check.too_old", nil)
	}
	me, err := c.CurrentUser(ctx)
	switch {
	case errors.Is(err, nextcloud.ErrUnauthorized):
		return r.fail("check.unauthorized", err)
	case err != nil:
		return r.fail(Classify(err).Key, err)
	}
	r.Admin = me.Admin
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return r.fail(Classify(err).Key, err)
	}
	r.Authenticated = true
	r.GroupFolders = caps.GroupFolders
	r.Sharing = caps.FilesSharingAPI && caps.GroupSharing
	switch {
	case !r.Admin:
		return r.fail("prov.error.not_admin", nil)
	case !r.GroupFolders && !r.Sharing:
		return r.fail("prov.error.no_sharing", nil)
	}
	return r
}

func (r CheckReport) fail(key string, err error) CheckReport {
	r.Problem = key
	if err != nil {
		r.ProblemDetail = err.Error()
	}
	return r
}
