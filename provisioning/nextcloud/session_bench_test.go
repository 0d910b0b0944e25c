package nextcloud_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// BenchmarkSession34 makes one association's 11 management writes on a
// simulated Nextcloud 34.0.1 whose password verification costs
// LoginLatency (100 ms here; about 1 s on the recorded server), with the
// login password: once with a new session per workspace (the login is paid
// once), once with the host's session kept across workspaces (paid once per
// host). It reports the password verifications per workspace.
func BenchmarkSession34(b *testing.B) {
	p := simulator.Profile34()
	p.LoginLatency = 100 * time.Millisecond
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("session shared across workspaces=%v", shared), func(b *testing.B) {
			sim := simulator.New(simulator.Options{Profile: p, AdminUser: "archipel", AdminPassword: "Login-Password-34"})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			defer sim.Close()
			session := nextcloud.NewSession(nil)
			b.ResetTimer()
			for i := range b.N {
				s := session
				if !shared {
					s = nextcloud.NewSession(nil)
				}
				c, err := nextcloud.New(nextcloud.Config{BaseURL: srv.URL, User: "archipel", LoginPassword: "Login-Password-34", Session: s})
				if err != nil {
					b.Fatal(err)
				}
				if err := workspace(b, c, i); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sim.PasswordVerifications())/float64(b.N), "verifications/workspace")
		})
	}
}

// workspace makes the 11 writes of one association.
func workspace(b *testing.B, c *nextcloud.Client, i int) error {
	ctx := b.Context()
	g, u := fmt.Sprintf("asso-%d", i), fmt.Sprintf("contact-%d", i)
	if err := c.CreateGroup(ctx, g, "Asso"); err != nil {
		return err
	}
	if err := c.CreateUser(ctx, nextcloud.NewUser{ID: u, Email: u + "@example.test", Groups: []string{g}, Quota: "1 GB"}); err != nil {
		return err
	}
	if err := c.PromoteSubadmin(ctx, u, g); err != nil {
		return err
	}
	id, err := c.CreateGroupFolder(ctx, fmt.Sprintf("Asso %d", i))
	if err != nil {
		return err
	}
	for _, f := range []func() error{
		func() error { return c.AddGroupToFolder(ctx, id, g) },
		func() error { return c.SetFolderQuota(ctx, id, 10<<30) },
		func() error { return c.SetFolderPermissions(ctx, id, g, nextcloud.PermAll) },
		func() error { return c.AddToGroup(ctx, u, g) },
		func() error { return c.EditUser(ctx, u, nextcloud.FieldDisplayName, "Contact") },
		func() error { return c.EditUser(ctx, u, nextcloud.FieldQuota, "2 GB") },
		func() error { return c.RemoveFromGroup(ctx, "archipel", g) },
	} {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}
