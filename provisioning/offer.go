package provisioning

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"archipel/database"
	"archipel/provisioning/nextcloud"
)

// The services a plan may hold: the questionnaire's, and a Team for the
// group, which staff may leave out.
const (
	ServiceFiles     = "files"
	ServiceCalendars = "calendars"
	ServiceContacts  = "contacts"
	ServiceTeams     = "teams"
	ServiceTasks     = "tasks"
	ServiceVideo     = "video"
	ServiceOffice    = "office"
	ServiceForms     = "forms"
	ServicePolls     = "polls"
)

// PlanServices lists every service a plan may hold, in the order pages show them.
var PlanServices = []string{ServiceFiles, ServiceCalendars, ServiceContacts, ServiceTeams, ServiceTasks,
	ServiceVideo, ServiceOffice, ServiceForms, ServicePolls}

// serviceApps says which apps serve a service (any one suffices); files
// need none beyond Nextcloud itself.
var serviceApps = map[string][]string{
	ServiceCalendars: {nextcloud.AppDAV},
	ServiceContacts:  {nextcloud.AppDAV},
	ServiceTeams:     {nextcloud.AppCircles},
	ServiceTasks:     {nextcloud.AppDeck},
	ServiceVideo:     {nextcloud.AppSpreed},
	ServiceOffice:    {nextcloud.AppRichdocuments, nextcloud.AppOnlyoffice},
	ServiceForms:     {nextcloud.AppForms},
	ServicePolls:     {nextcloud.AppPolls},
}

// Offer is what a host's Nextcloud can serve an association, read from its
// enabled apps.
type Offer struct {
	// Apps are the enabled app ids, sorted.
	Apps []string
	// Source says how they were learned: "apps" (the administrators' app
	// list) or "capabilities" (apps declaring capabilities; forms and polls
	// do not show there).
	Source string
	// CheckedAt is when; zero when the host was never read.
	CheckedAt time.Time
}

// Known reports whether the host's apps were ever read.
func (o Offer) Known() bool { return !o.CheckedAt.IsZero() }

// HasApp reports whether an app is enabled.
func (o Offer) HasApp(app string) bool { return slices.Contains(o.Apps, app) }

// Has reports whether the host can serve a service. An unknown offer
// serves only files, calendars and contacts, which every Nextcloud has.
func (o Offer) Has(service string) bool {
	if service == ServiceFiles {
		return true
	}
	apps, ok := serviceApps[service]
	if !ok {
		return false
	}
	if !o.Known() {
		return service == ServiceCalendars || service == ServiceContacts
	}
	return slices.ContainsFunc(apps, o.HasApp)
}

// Services lists the plan services the host can serve, in PlanServices order.
func (o Offer) Services() []string {
	var out []string
	for _, s := range PlanServices {
		if o.Has(s) {
			out = append(out, s)
		}
	}
	return out
}

// Unserved lists the services asked for that the host cannot serve.
func (o Offer) Unserved(asked []string) []string {
	var out []string
	for _, s := range asked {
		if !o.Has(s) {
			out = append(out, s)
		}
	}
	return out
}

// ReadOffer reads a host's enabled apps: the administrators' app list (one
// call, an app password works), or the capabilities where the list is
// refused or missing.
func ReadOffer(ctx context.Context, c *nextcloud.Client, now time.Time) (Offer, error) {
	apps, err := c.EnabledApps(ctx)
	if err == nil {
		return Offer{Apps: apps, Source: "apps", CheckedAt: now.UTC()}, nil
	}
	if !errors.Is(err, nextcloud.ErrForbidden) && !errors.Is(err, nextcloud.ErrNotFound) {
		return Offer{}, err
	}
	apps, err = c.CapabilityApps(ctx)
	if err != nil {
		return Offer{}, err
	}
	return Offer{Apps: apps, Source: "capabilities", CheckedAt: now.UTC()}, nil
}

// Offer returns what a host was last seen to offer; an Offer that is not
// Known when it was never read.
func (hs *Hosts) Offer(ctx context.Context, hostID string) (Offer, error) {
	var o Offer
	var apps string
	err := hs.db.QueryRowContext(ctx, `SELECT apps, source, checked_at FROM host_offers WHERE host_id = $1`, hostID).
		Scan(&apps, &o.Source, &o.CheckedAt)
	if isNoRows(err) {
		return Offer{}, nil
	}
	if err != nil {
		return Offer{}, database.MapError(err, "provisioning: host offer")
	}
	if apps != "" {
		o.Apps = strings.Split(apps, ",")
	}
	return o, nil
}

// SaveOffer keeps what a host offers.
func (hs *Hosts) SaveOffer(ctx context.Context, hostID string, o Offer) error {
	_, err := hs.db.ExecContext(ctx, `INSERT INTO host_offers (host_id, apps, source, checked_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (host_id) DO UPDATE SET apps = excluded.apps, source = excluded.source, checked_at = excluded.checked_at`,
		hostID, strings.Join(o.Apps, ","), o.Source, o.CheckedAt.UTC())
	return database.MapError(err, "provisioning: save host offer")
}

// RefreshOffer reads a host's apps now and keeps them: for the host page.
// Errors as CheckHost's, and the host's own failure when it cannot be read.
func (hs *Hosts) RefreshOffer(ctx context.Context, hostID string) (Offer, error) {
	h, err := hs.Get(ctx, hostID)
	if err != nil {
		return Offer{}, err
	}
	c, err := hs.Client(ctx, h)
	if err != nil {
		return Offer{}, err
	}
	o, err := ReadOffer(ctx, c, time.Now())
	if err != nil {
		return Offer{}, err
	}
	return o, hs.SaveOffer(ctx, hostID, o)
}

// OfferFor returns what a host offers for the pages: what was last read,
// or, for a host never read, a reading now bounded by a few seconds. A host
// that cannot be read then has an Offer that is not Known (files,
// calendars and contacts only): a page never fails for it.
func (hs *Hosts) OfferFor(ctx context.Context, hostID string) (Offer, error) {
	o, err := hs.Offer(ctx, hostID)
	if err != nil || o.Known() {
		return o, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if fresh, err := hs.RefreshOffer(ctx, hostID); err == nil {
		return fresh, nil
	}
	return Offer{}, nil
}

// DefaultServices are the services a plan holds by default: those asked
// for that the host serves, and a Team for the group wherever the host has
// Teams and the association asked for anything beyond files.
func DefaultServices(asked []string, o Offer) []string {
	chosen := map[string]bool{}
	for _, s := range asked {
		if o.Has(s) {
			chosen[s] = true
		}
	}
	for s := range chosen {
		if s != ServiceFiles && s != ServiceTeams && o.Has(ServiceTeams) {
			chosen[ServiceTeams] = true
		}
	}
	var out []string
	for _, s := range PlanServices {
		if chosen[s] {
			out = append(out, s)
		}
	}
	return out
}
