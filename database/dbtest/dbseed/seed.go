// Package dbseed fills a database with the volumes the benchmarks measure:
// hosts, requests and published showcase entries.
package dbseed

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"archipel/database"
	"archipel/onboarding"
)

// SeedHosts inserts n partner hosts serving every département, named
// hebergeur-00…, and returns their ids.
func SeedHosts(tb testing.TB, db *database.DB, n int, at time.Time) []string {
	tb.Helper()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("h-bench-%02d", i)
		if _, err := db.ExecContext(context.Background(), `INSERT INTO hosts (id, slug, name, region, departements, services, created_at, updated_at)
			VALUES ($1, $2, $3, 'Bretagne', '*', 'files,calendars,contacts', $4, $4)`,
			id, fmt.Sprintf("hebergeur-%02d", i), fmt.Sprintf("Hébergeur %02d", i), at); err != nil {
			tb.Fatalf("seed host: %v", err)
		}
		ids = append(ids, id)
	}
	return ids
}

// SeedRequests inserts n sent requests spread over hosts, in the statuses a
// live queue holds, each with a contact and a département.
func SeedRequests(tb testing.TB, db *database.DB, hosts []string, n int, at time.Time) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	deps := onboarding.Departements()
	statuses := []onboarding.Status{onboarding.StatusSubmitted, onboarding.StatusInterviewPlanned, onboarding.StatusInfoRequested,
		onboarding.StatusApproved, onboarding.StatusDeclined}
	err := batches(db, n, func(from, k int, add func(prefix, row string, values ...any)) {
		for i := from; i < from+k; i++ {
			d := deps[rng.IntN(len(deps))]
			when := at.Add(-time.Duration(i) * time.Hour)
			add(`INSERT INTO applications (id, status, step, language, answers, association_name, departement, host_id, contact_email,
				created_at, updated_at, submitted_at) VALUES `,
				`(%s, %s, 6, 'fr', '{}', %s, %s, %s, %s, %s, %[7]s, %[7]s)`,
				uuid.NewString(), string(statuses[rng.IntN(len(statuses))]), fmt.Sprintf("Demande n°%d", i), d.Code,
				hosts[rng.IntN(len(hosts))], fmt.Sprintf("r%d@asso.example", i), when)
		}
	})
	if err != nil {
		tb.Fatalf("seed requests: %v", err)
	}
}

// SeedShowcase inserts n published showcase entries (with their requests
// and closed cases) spread over hosts, every département and random
// services, in batches, as fast as the database takes them; then it marks
// the showcase changed and refreshes the planner's statistics.
func SeedShowcase(tb testing.TB, db *database.DB, hosts []string, n int, at time.Time) {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	deps := onboarding.Departements()
	story := strings.Repeat("Avant, les comptes rendus circulaient par courriel et se perdaient. ", 6) +
		"\nAujourd'hui, le bureau partage un agenda et des dossiers communs."
	start := at.Add(-365 * 24 * time.Hour)
	err := batches(db, n, func(from, k int, add func(prefix, row string, values ...any)) {
		for i := from; i < from+k; i++ {
			appID, caseID, entryID := uuid.NewString(), uuid.NewString(), uuid.NewString()
			host := hosts[rng.IntN(len(hosts))]
			d := deps[rng.IntN(len(deps))]
			when := start.Add(time.Duration(i) * time.Minute)
			name := fmt.Sprintf("Association n°%d", i)
			var svcs []string
			for _, s := range onboarding.Services {
				if rng.IntN(3) == 0 {
					svcs = append(svcs, s)
				}
			}
			sum := sha256.Sum256([]byte(name))
			add(`INSERT INTO applications (id, status, step, language, answers, association_name, departement, host_id, contact_email,
				created_at, updated_at) VALUES `, `(%s, 'ready', 6, 'fr', '{}', %s, %s, %s, %s, %s, %[6]s)`,
				appID, name, d.Code, host, fmt.Sprintf("c%d@asso.example", i), when)
			add(`INSERT INTO cases (id, application_id, host_id, stage, outcome, opened_at, updated_at, closed_at) VALUES `,
				`(%s, %s, %s, 'closed', 'success', %s, %[4]s, %[4]s)`, caseID, appID, host, when)
			add(`INSERT INTO showcase_entries (id, case_id, host_id, association_name, town, departement, region, story, services, text_digest,
				status, version, consent_version, decided_version, published_at, created_at, updated_at) VALUES `,
				`(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'published', 1, 1, 1, %s, %[11]s, %[11]s)`,
				entryID, caseID, host, name, "Ville "+d.Name, d.Code, d.Region, story, strings.Join(svcs, ","), hex.EncodeToString(sum[:]), when)
			for _, s := range svcs {
				add(`INSERT INTO showcase_entry_services (entry_id, service, published_at) VALUES `, `(%s, %s, %s)`, entryID, s, when)
			}
		}
	})
	if err != nil {
		tb.Fatalf("seed showcase: %v", err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE showcase_state SET revision = revision + 1, changed_at = $1 WHERE id = 1`, at); err != nil {
		tb.Fatal(err)
	}
	// Fresh statistics, as a long-running database has.
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}

// batches runs fill for every batch of up to 100 items of n, in one
// transaction; fill adds rows to multi-row INSERTs, one per prefix, run in
// the order their prefixes first came (parents before children). A row's
// format has %s for each value, replaced by its $n placeholder (an
// explicit index repeats one).
func batches(db *database.DB, n int, fill func(from, k int, add func(prefix, row string, values ...any))) error {
	const batch = 100
	return db.Tx(context.Background(), func(tx *sql.Tx) error {
		for from := 0; from < n; from += batch {
			var order []string
			rows := map[string][]string{}
			args := map[string][]any{}
			fill(from, min(batch, n-from), func(prefix, format string, values ...any) {
				if _, ok := rows[prefix]; !ok {
					order = append(order, prefix)
				}
				ph := make([]any, len(values))
				for i, v := range values {
					args[prefix] = append(args[prefix], v)
					ph[i] = fmt.Sprintf("$%d", len(args[prefix]))
				}
				rows[prefix] = append(rows[prefix], fmt.Sprintf(format, ph...))
			})
			for _, prefix := range order {
				if _, err := tx.Exec(prefix+strings.Join(rows[prefix], ", "), args[prefix]...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
