package training

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"archipel/database"
	"archipel/database/dbtest"
	"archipel/database/dbtest/dbseed"
)

// largeTables are the tables that grow with the archipelago's history; a
// public query must reach them through an index. The hosts table is read
// whole on purpose: it holds a few dozen partner hosts.
var largeTables = []string{"showcase_entries", "showcase_entry_services", "cases"}

// publicQueries are the queries behind the public pages, with arguments
// standing for a visitor's.
func publicQueries() []struct {
	name    string
	query   string
	args    []any
	bounded bool // LIMIT stops an ordered index read after its first rows
} {
	type q = struct {
		name    string
		query   string
		args    []any
		bounded bool
	}
	var out []q
	for _, f := range []struct {
		name string
		f    ShowcaseFilter
	}{
		{"showcase", ShowcaseFilter{}},
		{"showcase by region", ShowcaseFilter{Region: "Bretagne"}},
		{"showcase by département", ShowcaseFilter{Departement: "69"}},
		{"showcase by host", ShowcaseFilter{Host: "hebergeur-01"}},
		{"showcase by service", ShowcaseFilter{Service: "files"}},
		{"showcase by region and service", ShowcaseFilter{Region: "Bretagne", Service: "files"}},
	} {
		f.f.Normalize()
		count, page, args := f.f.queries()
		out = append(out,
			q{f.name + ": count", count, args, false},
			q{f.name + ": page 40", page, append(append([]any{}, args...), f.f.PerPage, 39*f.f.PerPage), false})
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, Paris).UTC()
	return append(out,
		q{"entry", publishedEntryQuery, []any{"00000000-0000-0000-0000-000000000000"}, false},
		q{"host directory", directoryQuery, nil, false},
		q{"figures: first case", figuresFirstQuery, nil, true},
		q{"figures: last case", figuresLastQuery, nil, true},
		q{"figures: a year", figuresYearQuery, []any{from, from.AddDate(1, 0, 0)}, false},
	)
}

// TestPublicQueriesUseIndexes reads the plan of every public page's query
// on a seeded database: none reads a large table, or a whole index of it,
// from end to end, unless a LIMIT stops it at its first rows. On SQLite a
// full read is a "SCAN" (a "SEARCH" uses a condition on an index); on
// PostgreSQL it is a scan node with no "Index Cond" or "Recheck Cond", and
// sequential scans are turned off for the session so that the planner
// shows which index it would use even on a small table.
func TestPublicQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	hosts := dbseed.SeedHosts(t, db, 20, time.Now())
	dbseed.SeedShowcase(t, db, hosts, 2000, time.Now())
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	scan := regexp.MustCompile(`^SCAN (\w+)`)
	if db.Dialect == database.Postgres {
		explain = "EXPLAIN "
		if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
		scan = regexp.MustCompile(`(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?(?: using \S+)? on (\w+)`)
	}
	aliases := map[string]string{"e": "showcase_entries", "s": "showcase_entry_services", "c": "cases"}
	planOf := func(name, query string, args []any) []string {
		rows, err := conn.QueryContext(ctx, explain+query, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			// SQLite's detail is its last column; PostgreSQL's plan has one.
			line, _ := vals[len(vals)-1].(string)
			if b, ok := vals[len(vals)-1].([]byte); ok {
				line = string(b)
			}
			plan = append(plan, strings.TrimSpace(line))
		}
		rows.Close()
		if len(plan) == 0 {
			t.Fatalf("%s: no plan", name)
		}
		return plan
	}
	// wholeReads names the large tables a plan reads from end to end.
	wholeReads := func(plan []string) []string {
		var read []string
		for i, line := range plan {
			m := scan.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if db.Dialect == database.Postgres && !strings.Contains(line, "Seq Scan") {
				// An index scan is a full read only when no condition
				// on the index follows, before the next node.
				cond := false
				for _, next := range plan[i+1:] {
					if strings.HasPrefix(next, "->") {
						break
					}
					if strings.HasPrefix(next, "Index Cond:") || strings.HasPrefix(next, "Recheck Cond:") {
						cond = true
					}
				}
				if cond {
					continue
				}
			}
			table := m[1]
			if a, ok := aliases[table]; ok {
				table = a
			}
			if slices.Contains(largeTables, table) {
				read = append(read, table)
			}
		}
		return read
	}
	for _, pq := range publicQueries() {
		plan := planOf(pq.name, pq.query, pq.args)
		if read := wholeReads(plan); len(read) > 0 && !pq.bounded {
			t.Errorf("%s reads %v whole:\n%s", pq.name, read, strings.Join(plan, "\n"))
		}
	}
	// The check sees a missing index: without the one for the figures, a
	// year's count reads every case.
	if _, err := conn.ExecContext(ctx, `DROP INDEX cases_figures`); err != nil {
		t.Fatal(err)
	}
	plan := planOf("figures without their index", figuresYearQuery, publicQueries()[len(publicQueries())-1].args)
	if read := wholeReads(plan); len(read) != 1 || read[0] != "cases" {
		t.Errorf("without cases_figures, the figures' plan was not seen reading cases whole:\n%s", strings.Join(plan, "\n"))
	}
}
