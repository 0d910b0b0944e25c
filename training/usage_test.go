package training

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"testing"

	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// simHost is a partner host whose Nextcloud is a simulator behind httptest.
type simHost struct {
	sim    *simulator.Simulator
	client *nextcloud.Client // the host's administrator, with its app password
}

// connectSim starts a simulator for host id and connects the host to it.
func (e *env) connectSim(hosts *provisioning.Hosts, id string, opts simulator.Options) *simHost {
	e.t.Helper()
	opts.AdminPassword = "admin-password-" + id
	sim := simulator.New(opts)
	srv := httptest.NewServer(sim)
	e.t.Cleanup(func() { srv.Close(); sim.Close() })
	c, err := nextcloud.New(nextcloud.Config{BaseURL: srv.URL})
	if err != nil {
		e.t.Fatal(err)
	}
	pw, err := c.AppPasswordFromLogin(e.ctx, "admin", opts.AdminPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := hosts.SetConnection(e.ctx, testAdmin, id, srv.URL, "admin", pw, provisioning.CredentialAppPassword); err != nil {
		e.t.Fatal(err)
	}
	admin, err := nextcloud.New(nextcloud.Config{BaseURL: srv.URL, User: "admin", AppPassword: pw})
	if err != nil {
		e.t.Fatal(err)
	}
	return &simHost{sim: sim, client: admin}
}

func testHosts(t *testing.T, e *env) *provisioning.Hosts {
	t.Helper()
	key, err := provisioning.ParseKey(provisioning.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	k, err := provisioning.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	return provisioning.NewHosts(e.db, k, 1000)
}

func TestUsageSignalsFromTheHostsNextcloud(t *testing.T) {
	e := newEnv(t)
	hosts := testHosts(t, e)
	e.seedHost("h1", "L'Île numérique", "7,30,90")
	e.seedHost("h2", "Atoll libre", "7,30,90")
	e.seedHost("h3", "Lagon débranché", "7,30,90")
	h1 := e.connectSim(hosts, "h1", simulator.Options{})
	h2 := e.connectSim(hosts, "h2", simulator.Options{DisableGroupFolders: true})

	// h1: a group folder of 1000 bytes, 950 used; h2: the account's quota.
	for _, a := range []simulator.Account{
		{ID: "velo-admin", Groups: []string{"velo"}, Quota: "1 GB"},
		{ID: "velo-bob", Groups: []string{"velo"}},
	} {
		if err := h1.sim.AddUser(a); err != nil {
			t.Fatal(err)
		}
	}
	fid, err := h1.client.CreateGroupFolder(e.ctx, "Les Amis du Vélo")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"velo", "admin"} {
		if err := h1.client.AddGroupToFolder(e.ctx, fid, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := h1.client.SetFolderQuota(e.ctx, fid, 1000); err != nil {
		t.Fatal(err)
	}
	if err := h1.client.Upload(e.ctx, "admin", "/Les Amis du Vélo/compta.ods", bytes.Repeat([]byte("x"), 950)); err != nil {
		t.Fatal(err)
	}
	if err := h2.sim.AddUser(simulator.Account{ID: "jardin-admin", Groups: []string{"jardin"}, Quota: "2 GB"}); err != nil {
		t.Fatal(err)
	}

	velo := e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example", group: "velo", account: "velo-admin", folder: "Les Amis du Vélo"})
	jardin := e.seedWorkspace(workspace{host: "h2", name: "Jardin partagé", email: "jo@jardin.example", group: "jardin", account: "jardin-admin"})
	lagon := e.seedWorkspace(workspace{host: "h3", name: "Asso du Lagon", email: "lagon@asso.example"})
	reader := NewUsageReader(e.store, hosts, slog.New(slog.DiscardHandler))
	d := NewDispatcher(e.store, e.postman, reader, slog.New(slog.DiscardHandler), DispatcherOptions{Worker: "a", BaseURL: "https://archipel.test", Clock: e.clock})
	e.tick(d)
	veloCase, jardinCase, lagonCase := e.caseOf(velo).ID, e.caseOf(jardin).ID, e.caseOf(lagon).ID
	flagsOf := func(caseID string) map[Flag]bool {
		t.Helper()
		fs, err := e.store.CaseFlags(e.ctx, caseID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[Flag]bool{}
		for _, f := range fs {
			out[f.Flag] = true
		}
		return out
	}

	t.Run("each check-in reads the usage of its case", func(t *testing.T) {
		e.clock.Advance(7 * day)
		// The host that is not connected is no error of the tick: its
		// reading records the failure.
		if r := e.tick(d); r.Sent != 3 {
			t.Fatalf("tick = %+v", r)
		}
		v, err := e.store.Usage(e.ctx, veloCase)
		if err != nil || v.Current == nil {
			t.Fatalf("usage %+v, %v", v, err)
		}
		if v.Current.Accounts != 2 || !v.Current.LastLoginAt.IsZero() || v.Current.UsedBytes != 950 || v.Current.QuotaBytes != 1000 || v.Current.Percent() != 95 {
			t.Errorf("reading %+v", v.Current)
		}
	})
	t.Run("nobody logged in within 7 days and the folder is 95 % full: two flags", func(t *testing.T) {
		if got := flagsOf(veloCase); !got[FlagNoLogin7d] || !got[FlagStorage90] || got[FlagNoLogin30d] || len(got) != 2 {
			t.Errorf("flags %v", got)
		}
	})
	t.Run("without group folders the account's quota counts", func(t *testing.T) {
		v, err := e.store.Usage(e.ctx, jardinCase)
		if err != nil || v.Current == nil || v.Current.Accounts != 1 || v.Current.QuotaBytes != 2<<30 {
			t.Fatalf("usage %+v, %v", v.Current, err)
		}
		if got := flagsOf(jardinCase); !got[FlagNoLogin7d] || got[FlagStorage90] {
			t.Errorf("flags %v", got)
		}
	})
	t.Run("a host that cannot be reached leaves a failed reading and no value", func(t *testing.T) {
		v, err := e.store.Usage(e.ctx, lagonCase)
		if err != nil || v.Current != nil || v.Failed == nil || v.Failed.Error == "" {
			t.Errorf("usage %+v, %v", v, err)
		}
		if got := flagsOf(lagonCase); len(got) != 0 {
			t.Errorf("flags %v", got)
		}
	})
	t.Run("a login lifts the flag and shows in the trend", func(t *testing.T) {
		if err := h1.sim.TouchLogin("velo-bob", t0.Add(9*day)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(3 * day)
		if err := reader.ReadAll(e.ctx); err != nil {
			t.Fatal(err)
		}
		v, _ := e.store.Usage(e.ctx, veloCase)
		if v.Previous == nil || !v.NewLogin() || v.AccountsDelta() != 0 || !v.Current.LastLoginAt.Equal(t0.Add(9*day)) {
			t.Errorf("usage %+v / %+v", v.Current, v.Previous)
		}
		if got := flagsOf(veloCase); got[FlagNoLogin7d] || !got[FlagStorage90] {
			t.Errorf("flags %v", got)
		}
	})
	t.Run("thirty days without a login raise the 30-day flag", func(t *testing.T) {
		e.clock.Advance(30 * day)
		if err := reader.ReadAll(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := flagsOf(veloCase); !got[FlagNoLogin30d] {
			t.Errorf("flags %v", got)
		}
	})
	t.Run("a host that fails keeps the last known values, marked with their date", func(t *testing.T) {
		before, _ := e.store.Usage(e.ctx, veloCase)
		h1.sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{{Route: "*", Rate: 1, Status: 503}}})
		e.clock.Advance(day)
		if err := reader.ReadAll(e.ctx); err != nil {
			t.Fatal(err)
		}
		after, err := e.store.Usage(e.ctx, veloCase)
		if err != nil || after.Failed == nil || after.Current == nil || after.Current.ID != before.Current.ID {
			t.Fatalf("usage %+v, %v", after, err)
		}
		if !after.Failed.TakenAt.Equal(e.clock.Now()) || !after.Current.TakenAt.Before(after.Failed.TakenAt) {
			t.Errorf("failed at %s, last good at %s", after.Failed.TakenAt, after.Current.TakenAt)
		}
		if got := flagsOf(veloCase); !got[FlagNoLogin30d] || !got[FlagStorage90] {
			t.Errorf("a failure changed the flags: %v", got)
		}
		h1.sim.SetFaults(simulator.Faults{})
	})
	t.Run("closed cases are not read any more", func(t *testing.T) {
		c := e.caseOf(jardin)
		if err := e.store.Close(e.ctx, testAdmin, c, OutcomeSuccess, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := reader.ReadCase(e.ctx, c.ID); err == nil {
			t.Error("read a closed case")
		}
	})
}
