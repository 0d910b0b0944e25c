package main

import (
	"context"
	"time"

	"archipel/database"
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
		_, err := db.ExecContext(ctx, `INSERT INTO hosts (id, slug, name, website, terms_url, region, departements, services, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (slug) DO NOTHING`,
			h.id, h.slug, h.name, h.website, h.website+"/cgu", h.region, h.deps, h.services, now)
		if err != nil {
			return database.MapError(err, "demo: seed hosts")
		}
	}
	return nil
}
