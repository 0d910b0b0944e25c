package provisioning

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"archipel/provisioning/nextcloud"
)

// ProbeGroupPrefix starts the id of the group the connection test creates
// and deletes at once to prove that management writes work. Archipel never
// gives a workspace such an id.
const ProbeGroupPrefix = "archipel-probe-"

// CheckReport is what a connection test learned about a host's Nextcloud.
type CheckReport struct {
	Version        string
	Admin          bool
	GroupFolders   bool
	Sharing        bool // the sharing API with group shares
	AppPassword    bool // the secret has the shape of an app password
	LoginPassword  bool // the secret is used as a login password, in a session
	WriteProbed    bool // a probe group was created and deleted: management writes work
	MaintenanceOn  bool
	Authenticated  bool   // the credentials were accepted; Admin and the rest are known
	Problem        string // message ID of the first blocking problem, "" when provisioning will work
	ProblemDetail  string // what Nextcloud said, for the administrator
	Warning        string // message ID of a non-blocking remark, "" when none
	ReachableAfter time.Duration
	// Offer is what the host can serve an association (offer.go); not
	// Known when its apps could not be read.
	Offer Offer
}

// Ready reports whether Archipel can provision on this host.
func (r CheckReport) Ready() bool { return r.Problem == "" }

// Check runs the connection test used by `archipel host check` and the
// staff's "test the connection". It proves that provisioning will work
// rather than that the server answers: reachability, version, credentials,
// administrator rights, group folders or group sharing, and one harmless
// management write that is undone (a probe group created then deleted),
// which is what Nextcloud 33+ refuses with an app password. A wrong
// password is tried once only (Nextcloud blocks an address after 10
// failures). The Problem messages take the version as "Version".
func Check(ctx context.Context, c *nextcloud.Client, secret string) CheckReport {
	start := time.Now()
	var r CheckReport
	r.AppPassword = nextcloud.LooksLikeAppPassword(secret)
	r.LoginPassword = c.UsesLoginPassword()
	switch {
	case r.LoginPassword && r.AppPassword:
		r.Warning = "nc34.check.app_password_as_login"
	case !r.LoginPassword && !r.AppPassword:
		r.Warning = "check.not_app_password"
	}
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
	case errors.Is(err, nextcloud.ErrThrottled):
		return r.fail("nc34.check.throttled", err)
	case errors.Is(err, nextcloud.ErrUnauthorized) && r.LoginPassword:
		return r.fail("nc34.check.login_refused", err)
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
	if o, err := ReadOffer(ctx, c, time.Now()); err == nil {
		r.Offer = o
	}
	switch {
	case !r.Admin:
		return r.fail("prov.error.not_admin", nil)
	case !r.GroupFolders && !r.Sharing:
		return r.fail("prov.error.no_sharing", nil)
	}
	return r.probe(ctx, c)
}

// probe creates and deletes a group with a reserved id.
func (r CheckReport) probe(ctx context.Context, c *nextcloud.Client) CheckReport {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := ProbeGroupPrefix + hex.EncodeToString(b)
	err := c.CreateGroup(ctx, id, "Archipel connection test")
	switch {
	case errors.Is(err, nextcloud.ErrConfirmationRequired) && !r.LoginPassword:
		return r.fail("nc34.check.app_password_refused", err)
	case errors.Is(err, nextcloud.ErrConfirmationRequired):
		return r.fail("nc34.check.confirmation_failed", err)
	case errors.Is(err, nextcloud.ErrThrottled):
		return r.fail("nc34.check.throttled", err)
	case errors.Is(err, nextcloud.ErrForbidden):
		return r.fail("prov.error.not_admin", err)
	case err != nil:
		return r.fail(Classify(err).Key, err)
	}
	if err := c.DeleteGroup(ctx, id); err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
		// The write worked; only the probe is left behind.
		r.WriteProbed = true
		r.Warning = "nc34.check.probe_left"
		r.ProblemDetail = err.Error()
		return r
	}
	r.WriteProbed = true
	return r
}

func (r CheckReport) fail(key string, err error) CheckReport {
	r.Problem = key
	if err != nil {
		r.ProblemDetail = err.Error()
	}
	return r
}
