package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// demoHosts are the partner hosts the demo starts with.
var demoHosts = []struct {
	slug, name, website, region, deps, services string
}{
	{"ile-numerique", "L'Île numérique", "https://ile-numerique.example", "Auvergne-Rhône-Alpes", "01,07,26,38,42,69,73,74",
		"files,calendars,contacts,video,office,forms,polls,tasks"},
	{"atoll-libre", "Atoll libre", "https://atoll-libre.example", "Bretagne", "22,29,35,56",
		"files,calendars,contacts,office,polls"},
	{"recif-solidaire", "Récif solidaire", "https://recif-solidaire.example", "", "*",
		"files,calendars,contacts,video,office"},
}

// seedDemo adds the demo hosts unless they are there already, through the
// same rules as the administrators' form, and returns their ids by slug.
func seedDemo(ctx context.Context, apps *onboarding.Store, hosts *provisioning.Hosts) (map[string]string, error) {
	ids := map[string]string{}
	for _, dh := range demoHosts {
		if h, err := hosts.BySlug(ctx, dh.slug); err == nil {
			ids[dh.slug] = h.ID
			continue
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return nil, err
		}
		id, fe, err := apps.CreateHost(ctx, &accounts.User{ID: "demo", Email: "demo", Role: accounts.RoleAdmin}, &onboarding.HostForm{
			Name: dh.name, Slug: dh.slug, Website: dh.website, ContactEmail: "contact@" + dh.slug + ".example",
			HelpURL: dh.website + "/aide", TermsURL: dh.website + "/cgu", Region: dh.region, Departements: dh.deps,
			Services: strings.Split(dh.services, ","), MaxAssociations: "20", StorageBudgetGB: "500",
			DefaultQuotaGB: "10", DefaultAccounts: "10",
		})
		if err != nil || len(fe) > 0 {
			return nil, errors.Join(err, fmt.Errorf("demo: host %s refused: %v", dh.slug, fe))
		}
		ids[dh.slug] = id
	}
	return ids, nil
}

// simulatedHost is a demo host's Nextcloud, simulated in this process on
// its own loopback port.
type simulatedHost struct {
	name        string // empty for the spare one, connected to no host
	url         string
	version     string // the generation simulated, e.g. "34.0.1"
	appPassword string // printed only for the spare one
	sim         *simulator.Simulator
	srv         *http.Server
}

// demoGenerations says which Nextcloud each demo host runs: one host on
// Nextcloud 34 (which refuses management calls made with an app password,
// so it is connected with the login password of its provisioning account),
// the others on 27.1 with an app password.
var demoGenerations = map[string]simulator.Profile{
	"ile-numerique": simulator.Profile34(),
}

// startSimulators gives every demo host a simulated Nextcloud and connects
// the host to it with an app password, as an operator would. One more
// simulated Nextcloud is left unconnected, for trying "add a host" in the
// administrator's pages: its app password is printed.
func startSimulators(ctx context.Context, hosts *provisioning.Hosts, ids map[string]string) ([]*simulatedHost, error) {
	var out []*simulatedHost
	for _, dh := range demoHosts {
		profile, onNew := demoGenerations[dh.slug]
		if !onNew {
			profile = simulator.Profile27()
		}
		s, password, err := startSimulator(ctx, dh.name, profile, dh.slug == "atoll-libre")
		if err != nil {
			stopSimulators(out)
			return nil, err
		}
		out = append(out, s)
		secret, kind := s.appPassword, provisioning.CredentialAppPassword
		if !profile.AppPasswordConfirms {
			secret, kind = password, provisioning.CredentialLoginPassword
		}
		if err := hosts.SetConnection(ctx, &accounts.User{ID: "demo", Email: "demo", Role: accounts.RoleAdmin}, ids[dh.slug], s.url, "admin", secret, kind); err != nil {
			stopSimulators(out)
			return nil, err
		}
		s.appPassword = "" // stored sealed; not printed
	}
	spare, _, err := startSimulator(ctx, "", simulator.Profile27(), false)
	if err != nil {
		stopSimulators(out)
		return nil, err
	}
	return append(out, spare), nil
}

// startSimulator serves a simulated Nextcloud of a generation on a
// loopback port and makes an app password for its administrator; it
// returns the administrator's login password too.
func startSimulator(ctx context.Context, name string, profile simulator.Profile, noGroupFolders bool) (*simulatedHost, string, error) {
	password := uuid.NewString()
	sim := simulator.New(simulator.Options{Profile: profile, AdminPassword: password, MailEnabled: true,
		DisableGroupFolders: noGroupFolders, BruteForceDelay: 100 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("demo: simulated Nextcloud: %w", err)
	}
	s := &simulatedHost{name: name, url: "http://" + ln.Addr().String(), version: profile.Name, sim: sim,
		srv: &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(ln)
	c, err := nextcloud.New(nextcloud.Config{BaseURL: s.url})
	if err != nil {
		stopSimulators([]*simulatedHost{s})
		return nil, "", err
	}
	if s.appPassword, err = c.AppPasswordFromLogin(ctx, "admin", password); err != nil {
		stopSimulators([]*simulatedHost{s})
		return nil, "", fmt.Errorf("demo: app password from simulated Nextcloud: %w", err)
	}
	return s, password, nil
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
