package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// demoHosts are the partner hosts the demo starts with.
var demoHosts = []struct {
	id, slug, name, website, region, deps, services string
}{
	{"demo-host-ouvaton", "ile-numerique", "L'Île numérique", "https://ile-numerique.example", "Auvergne-Rhône-Alpes", "01,07,26,38,42,69,73,74",
		"files,calendars,contacts,video,office,forms,polls,tasks"},
	{"demo-host-libre", "atoll-libre", "Atoll libre", "https://atoll-libre.example", "Bretagne", "22,29,35,56",
		"files,calendars,contacts,office,polls"},
	{"demo-host-france", "recif-solidaire", "Récif solidaire", "https://recif-solidaire.example", "", "*",
		"files,calendars,contacts,video,office"},
}

// seedDemo adds the demo hosts unless they are there already.
func seedDemo(ctx context.Context, db *database.DB) error {
	now := time.Now().UTC()
	for _, h := range demoHosts {
		_, err := db.ExecContext(ctx, `INSERT INTO hosts (id, slug, name, website, terms_url, help_url, contact_email, region, departements, services, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (slug) DO NOTHING`,
			h.id, h.slug, h.name, h.website, h.website+"/cgu", h.website+"/aide", "contact@"+h.slug+".example", h.region, h.deps, h.services, now)
		if err != nil {
			return database.MapError(err, "demo: seed hosts")
		}
	}
	return nil
}

// simulatedHost is a demo host's Nextcloud, simulated in this process on
// its own loopback port.
type simulatedHost struct {
	name        string // empty for the spare one, connected to no host
	url         string
	appPassword string // printed only for the spare one
	sim         *simulator.Simulator
	srv         *http.Server
}

// startSimulators gives every demo host a simulated Nextcloud and connects
// the host to it with an app password, as an operator would. One more
// simulated Nextcloud is left unconnected, for trying "add a host" in the
// administrator's pages: its app password is printed.
func startSimulators(ctx context.Context, hosts *provisioning.Hosts) ([]*simulatedHost, error) {
	var out []*simulatedHost
	for _, dh := range demoHosts {
		s, err := startSimulator(ctx, dh.name, dh.slug == "atoll-libre")
		if err != nil {
			stopSimulators(out)
			return nil, err
		}
		out = append(out, s)
		if err := hosts.SetConnection(ctx, dh.id, s.url, "admin", s.appPassword); err != nil {
			stopSimulators(out)
			return nil, err
		}
		s.appPassword = "" // stored sealed; not printed
	}
	spare, err := startSimulator(ctx, "", false)
	if err != nil {
		stopSimulators(out)
		return nil, err
	}
	return append(out, spare), nil
}

// startSimulator serves a simulated Nextcloud on a loopback port and makes
// an app password for its administrator.
func startSimulator(ctx context.Context, name string, noGroupFolders bool) (*simulatedHost, error) {
	password := uuid.NewString()
	sim := simulator.New(simulator.Options{AdminPassword: password, MailEnabled: true,
		DisableGroupFolders: noGroupFolders, BruteForceDelay: 100 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: simulated Nextcloud: %w", err)
	}
	s := &simulatedHost{name: name, url: "http://" + ln.Addr().String(), sim: sim,
		srv: &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(ln)
	c, err := nextcloud.New(nextcloud.Config{BaseURL: s.url})
	if err != nil {
		stopSimulators([]*simulatedHost{s})
		return nil, err
	}
	if s.appPassword, err = c.AppPasswordFromLogin(ctx, "admin", password); err != nil {
		stopSimulators([]*simulatedHost{s})
		return nil, fmt.Errorf("demo: app password from simulated Nextcloud: %w", err)
	}
	return s, nil
}

func stopSimulators(sims []*simulatedHost) {
	for _, s := range sims {
		s.srv.Close()
		s.sim.Close()
	}
}

// demoAdminEmail is the demo's administrator; its password changes at every
// start and is printed.
const demoAdminEmail = "admin@archipel.demo"

func demoAdmin(ctx context.Context, staff *accounts.Store) (string, error) {
	u, err := staff.ByEmail(ctx, demoAdminEmail)
	if errors.Is(err, apperr.ErrNotFound) {
		u, err = staff.Create(ctx, accounts.NewUser{Email: demoAdminEmail, Name: "Coordination (démo)", Role: accounts.RoleAdmin})
	}
	if err != nil {
		return "", err
	}
	password := "demo-" + uuid.NewString()[:18]
	if err := staff.SetPassword(ctx, u, password); err != nil {
		return "", err
	}
	return fmt.Sprintf("e-mail %s, password %s", demoAdminEmail, password), nil
}
