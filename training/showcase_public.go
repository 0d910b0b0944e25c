package training

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
)

// Paging of the public showcase.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	maxPage        = 100000
	maxFilterLen   = 100
)

// ShowcaseFilter selects published entries; empty fields match everything.
// Unknown values match nothing, which makes an empty, valid page.
type ShowcaseFilter struct {
	Region      string // a region's name, as onboarding.Regions spells it
	Departement string // a département's code
	Host        string // a host's slug
	Service     string // one of onboarding.Services
	Page        int    // from 1
	PerPage     int
}

// Normalize trims the filter and bounds its paging.
func (f *ShowcaseFilter) Normalize() {
	f.Region, f.Host, f.Service = strings.TrimSpace(f.Region), strings.TrimSpace(f.Host), strings.TrimSpace(f.Service)
	f.Departement = strings.ToUpper(strings.TrimSpace(f.Departement))
	if f.PerPage < 1 {
		f.PerPage = DefaultPerPage
	}
	f.PerPage = min(f.PerPage, MaxPerPage)
	f.Page = min(max(f.Page, 1), maxPage)
}

// Active reports whether the filter selects anything less than everything.
func (f ShowcaseFilter) Active() bool {
	return f.Region != "" || f.Departement != "" || f.Host != "" || f.Service != ""
}

// impossible reports values no entry can match, answered without a query.
func (f ShowcaseFilter) impossible() bool {
	for _, v := range []string{f.Region, f.Departement, f.Host, f.Service} {
		if len(v) > maxFilterLen {
			return true
		}
	}
	return false
}

// where is the SQL condition of the filter on "showcase_entries e", with
// its arguments numbered from $1. Only fixed fragments are joined; values
// are always parameters.
func (f ShowcaseFilter) where() (string, []any) {
	conds := []string{`e.status = 'published'`}
	var args []any
	arg := func(v string) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Region != "" {
		conds = append(conds, `e.region = `+arg(f.Region))
	}
	if f.Departement != "" {
		conds = append(conds, `e.departement = `+arg(f.Departement))
	}
	if f.Host != "" {
		conds = append(conds, `e.host_id = (SELECT id FROM hosts WHERE slug = `+arg(f.Host)+`)`)
	}
	if f.Service != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM showcase_entry_services s WHERE s.entry_id = e.id AND s.service = `+arg(f.Service)+`)`)
	}
	return strings.Join(conds, " AND "), args
}

// ShowcasePage is one page of published entries, newest first.
type ShowcasePage struct {
	Filter  ShowcaseFilter
	Entries []ShowcaseEntry
	Total   int
}

// Pages is the number of pages (at least 1, so that "page 1 of 1" reads
// well on an empty showcase).
func (p *ShowcasePage) Pages() int {
	return max(1, (p.Total+p.Filter.PerPage-1)/p.Filter.PerPage)
}

// HasNext reports whether a page follows.
func (p *ShowcasePage) HasNext() bool { return p.Filter.Page < p.Pages() }

// HasPrev reports whether a page precedes.
func (p *ShowcasePage) HasPrev() bool { return p.Filter.Page > 1 }

// publicOrder is newest first; the id breaks ties so that pages never
// overlap.
const publicOrder = ` ORDER BY e.published_at DESC, e.id DESC`

// queries are a page's two queries: its count, and its entries (whose two
// last parameters are the page's size and offset), with their arguments.
func (f ShowcaseFilter) queries() (count, page string, args []any) {
	where, args := f.where()
	count = `SELECT COUNT(*) FROM showcase_entries e WHERE ` + where
	ids := `SELECT e.id FROM showcase_entries e WHERE ` + where + publicOrder
	if f.Service != "" && f.Region == "" && f.Departement == "" && f.Host == "" {
		// The public index of services answers alone: its rows are the
		// published entries' (the final query checks the status again).
		count = `SELECT COUNT(*) FROM showcase_entry_services s WHERE s.service = $1`
		ids = `SELECT s.entry_id FROM showcase_entry_services s WHERE s.service = $1 ORDER BY s.published_at DESC, s.entry_id DESC`
		args = []any{f.Service}
	}
	// The page's ids come from an index alone; only the rows shown are
	// read, so a deep page does not read every row it skips.
	n := len(args)
	page = `SELECT ` + entryColumns + ` FROM showcase_entries e JOIN hosts h ON h.id = e.host_id
		WHERE e.status = 'published' AND e.id IN (` + ids + ` LIMIT $` + strconv.Itoa(n+1) + ` OFFSET $` + strconv.Itoa(n+2) + `)` + publicOrder
	return count, page, args
}

// Published returns a page of published entries matching the filter.
func (s *Showcase) Published(ctx context.Context, f ShowcaseFilter) (*ShowcasePage, error) {
	f.Normalize()
	page := &ShowcasePage{Filter: f}
	if f.impossible() {
		return page, nil
	}
	count, q, args := f.queries()
	if err := s.db.QueryRowContext(ctx, count, args...).Scan(&page.Total); err != nil {
		return nil, database.MapError(err, "training: count showcase")
	}
	offset := (f.Page - 1) * f.PerPage
	if offset >= page.Total {
		return page, nil
	}
	err := s.each(ctx, q, append(args, f.PerPage, offset), func(e *ShowcaseEntry) error {
		page.Entries = append(page.Entries, *e)
		return nil
	})
	return page, err
}

// EachPublished calls fn with every published entry matching the filter
// (paging ignored), newest first, for the CSV export.
func (s *Showcase) EachPublished(ctx context.Context, f ShowcaseFilter, fn func(*ShowcaseEntry) error) error {
	f.Normalize()
	if f.impossible() {
		return nil
	}
	where, args := f.where()
	return s.each(ctx, `SELECT `+entryColumns+` FROM showcase_entries e JOIN hosts h ON h.id = e.host_id WHERE `+where+publicOrder, args, fn)
}

func (s *Showcase) each(ctx context.Context, q string, args []any, fn func(*ShowcaseEntry) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return database.MapError(err, "training: list showcase")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return database.MapError(err, "training: list showcase")
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return database.MapError(rows.Err(), "training: list showcase")
}

const publishedEntryQuery = `SELECT ` + entryColumns + ` FROM showcase_entries e JOIN hosts h ON h.id = e.host_id
	WHERE e.id = $1 AND e.status = 'published'`

// PublishedEntry returns a published entry; any other is not found.
func (s *Showcase) PublishedEntry(ctx context.Context, id string) (*ShowcaseEntry, error) {
	if len(id) > 64 {
		return nil, apperr.New(apperr.NotFound, "error.not_found", "training: published entry")
	}
	e, err := scanEntry(s.db.QueryRowContext(ctx, publishedEntryQuery, id))
	return e, database.MapError(err, "training: published entry")
}

// PublishedLogo returns the PNG logo of a published entry and its digest;
// an entry that is not public, or has no logo, is not found.
func (s *Showcase) PublishedLogo(ctx context.Context, id string) ([]byte, string, error) {
	if len(id) > 64 {
		return nil, "", apperr.New(apperr.NotFound, "error.not_found", "training: published logo")
	}
	var logo []byte
	var digest string
	err := s.db.QueryRowContext(ctx, `SELECT logo, logo_digest FROM showcase_entries
		WHERE id = $1 AND status = 'published' AND logo_digest <> ''`, id).Scan(&logo, &digest)
	return logo, digest, database.MapError(err, "training: published logo")
}

// Stamp identifies the state the public answers are computed from: it
// changes with every change to an entry or a host, and to a case when
// withCases is set. Modified is the time of the latest such change.
type Stamp struct {
	Key      string
	Modified time.Time
}

// Stamp reads the showcase's stamp in one read of one row (triggers keep
// the hosts' and cases' revisions there), so that a conditional request, or
// a page the server keeps, is answered without computing the page.
func (s *Showcase) Stamp(ctx context.Context, withCases bool) (Stamp, error) {
	var rev, hostsRev, casesRev int64
	var changed, hostsAt, casesAt sql.NullTime
	stmt, err := s.stampStmt(ctx)
	if err != nil {
		return Stamp{}, database.MapError(err, "training: showcase stamp")
	}
	err = stmt.QueryRowContext(ctx).Scan(&rev, &changed, &hostsRev, &hostsAt, &casesRev, &casesAt)
	if err != nil {
		return Stamp{}, database.MapError(err, "training: showcase stamp")
	}
	st := Stamp{Key: fmt.Sprintf("%d.%d", rev, hostsRev), Modified: latest(changed.Time, hostsAt.Time)}
	if withCases {
		st.Key += fmt.Sprintf(".%d", casesRev)
		st.Modified = latest(st.Modified, casesAt.Time)
	}
	return st, nil
}

// stampStmt prepares Stamp's statement at its first use (again after a
// failure: the database may come back).
func (s *Showcase) stampStmt(ctx context.Context) (*sql.Stmt, error) {
	if stmt := s.stamp.Load(); stmt != nil {
		return stmt, nil
	}
	s.stampMu.Lock()
	defer s.stampMu.Unlock()
	if stmt := s.stamp.Load(); stmt != nil {
		return stmt, nil
	}
	stmt, err := s.db.PrepareContext(ctx, `SELECT revision, changed_at, hosts_revision, hosts_changed_at,
		cases_revision, cases_changed_at FROM showcase_state WHERE id = 1`)
	if err != nil {
		return nil, err
	}
	s.stamp.Store(stmt)
	return stmt, nil
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// HostListing is a partner host as the public directory shows it.
type HostListing struct {
	Slug         string
	Name         string
	Website      string
	Region       string   // where the host is
	AllFrance    bool     // it takes associations from anywhere
	Departements []string // the départements it serves, unless AllFrance
	Regions      []string // the regions of those départements
	Services     []string
	Accompanied  int  // associations accompanied (cases)
	Published    int  // published showcase entries
	Open         bool // it takes new requests
	// Latest are its newest published entries, at most LatestPerHost.
	Latest []ShowcaseEntry
}

// LatestPerHost is how many entries the directory shows per host.
const LatestPerHost = 3

const directoryQuery = `SELECT h.slug, h.name, h.website, h.region, h.departements, h.services, h.paused,
	(SELECT COUNT(*) FROM cases c WHERE c.host_id = h.id),
	(SELECT COUNT(*) FROM showcase_entries e WHERE e.host_id = h.id AND e.status = 'published')
	FROM hosts h ORDER BY h.name, h.slug`

// Directory lists the partner hosts by name, with their figures and newest
// published entries.
func (s *Showcase) Directory(ctx context.Context) ([]HostListing, error) {
	rows, err := s.db.QueryContext(ctx, directoryQuery)
	if err != nil {
		return nil, database.MapError(err, "training: host directory")
	}
	var out []HostListing
	for rows.Next() {
		var l HostListing
		var deps, svcs string
		var paused bool
		if err := rows.Scan(&l.Slug, &l.Name, &l.Website, &l.Region, &deps, &svcs, &paused, &l.Accompanied, &l.Published); err != nil {
			rows.Close()
			return nil, database.MapError(err, "training: host directory")
		}
		l.Open = !paused
		l.Services = splitServices(strings.ReplaceAll(svcs, " ", ""))
		l.AllFrance, l.Departements, l.Regions = served(deps)
		out = append(out, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, database.MapError(err, "training: host directory")
	}
	// One indexed query per host that has entries: hosts are a few dozen,
	// and a window over every published entry would read them all.
	for i := range out {
		if out[i].Published == 0 {
			continue
		}
		err := s.each(ctx, `SELECT `+entryColumns+` FROM showcase_entries e JOIN hosts h ON h.id = e.host_id
			WHERE e.host_id = (SELECT id FROM hosts WHERE slug = $1) AND e.status = 'published'`+publicOrder+` LIMIT $2`,
			[]any{out[i].Slug, LatestPerHost}, func(e *ShowcaseEntry) error {
				out[i].Latest = append(out[i].Latest, *e)
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// served reads a host's "69,01" (or "*") into départements and regions, in
// the order onboarding lists them.
func served(deps string) (all bool, codes, regions []string) {
	for _, code := range strings.Split(deps, ",") {
		code = strings.TrimSpace(code)
		if code == "*" {
			return true, nil, onboarding.Regions()
		}
		if d, ok := onboarding.LookupDepartement(code); ok && !slices.Contains(codes, d.Code) {
			codes = append(codes, d.Code)
			if !slices.Contains(regions, d.Region) {
				regions = append(regions, d.Region)
			}
		}
	}
	all = len(codes) == 0 && strings.TrimSpace(deps) == ""
	if all {
		return true, nil, onboarding.Regions()
	}
	order := onboarding.Regions()
	slices.SortFunc(regions, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	return false, codes, regions
}

// YearCount is what a host did in a year.
type YearCount struct {
	Year        int
	Accompanied int // cases opened that year
	Succeeded   int // of those, closed as a success
}

// HostFigures are a host's figures, one per year of Figures.Years.
type HostFigures struct {
	Slug   string
	Name   string
	ByYear []YearCount
	Total  YearCount
}

// Figures are the public figures: associations accompanied per host and
// per year (the year a case opened, in France's time).
type Figures struct {
	Years  []int
	Hosts  []HostFigures
	Totals []YearCount // per year, all hosts
	Total  YearCount
}

// The figures' queries: the first and last case opened, then a year's
// cases per host.
const (
	figuresFirstQuery = `SELECT opened_at FROM cases ORDER BY opened_at LIMIT 1`
	figuresLastQuery  = `SELECT opened_at FROM cases ORDER BY opened_at DESC LIMIT 1`
	figuresYearQuery  = `SELECT host_id, COUNT(*), SUM(CASE WHEN outcome = 'success' THEN 1 ELSE 0 END)
		FROM cases WHERE opened_at >= $1 AND opened_at < $2 GROUP BY host_id`
)

// Figures counts the associations accompanied per host and per year; every
// host is listed, even one that has accompanied none yet. One grouped,
// index-only count per year: a year is a range of opening times.
func (s *Showcase) Figures(ctx context.Context) (*Figures, error) {
	f := &Figures{}
	ids := map[string]int{}
	rows, err := s.db.QueryContext(ctx, `SELECT id, slug, name FROM hosts ORDER BY name, slug`)
	if err != nil {
		return nil, database.MapError(err, "training: figures")
	}
	for rows.Next() {
		var id string
		var h HostFigures
		if err := rows.Scan(&id, &h.Slug, &h.Name); err != nil {
			rows.Close()
			return nil, database.MapError(err, "training: figures")
		}
		ids[id] = len(f.Hosts)
		f.Hosts = append(f.Hosts, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, database.MapError(err, "training: figures")
	}
	var first, last time.Time
	err = s.db.QueryRowContext(ctx, figuresFirstQuery).Scan(&first)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err == nil {
		err = s.db.QueryRowContext(ctx, figuresLastQuery).Scan(&last)
	}
	if err != nil {
		return nil, database.MapError(err, "training: figures")
	}
	for y := first.In(Paris).Year(); y <= last.In(Paris).Year(); y++ {
		f.Years = append(f.Years, y)
		total := YearCount{Year: y}
		byHost := map[int]YearCount{}
		from, to := time.Date(y, 1, 1, 0, 0, 0, 0, Paris).UTC(), time.Date(y+1, 1, 1, 0, 0, 0, 0, Paris).UTC()
		rows, err := s.db.QueryContext(ctx, figuresYearQuery, from, to)
		if err != nil {
			return nil, database.MapError(err, "training: figures")
		}
		for rows.Next() {
			var id string
			yc := YearCount{Year: y}
			if err := rows.Scan(&id, &yc.Accompanied, &yc.Succeeded); err != nil {
				rows.Close()
				return nil, database.MapError(err, "training: figures")
			}
			if i, ok := ids[id]; ok {
				byHost[i] = yc
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, database.MapError(err, "training: figures")
		}
		for i := range f.Hosts {
			yc, ok := byHost[i]
			if !ok {
				yc = YearCount{Year: y}
			}
			h := &f.Hosts[i]
			h.ByYear = append(h.ByYear, yc)
			h.Total.Accompanied += yc.Accompanied
			h.Total.Succeeded += yc.Succeeded
			total.Accompanied += yc.Accompanied
			total.Succeeded += yc.Succeeded
		}
		f.Totals = append(f.Totals, total)
		f.Total.Accompanied += total.Accompanied
		f.Total.Succeeded += total.Succeeded
	}
	return f, nil
}

// HostName is a host as the showcase's filter offers it.
type HostName struct {
	Slug string
	Name string
}

// HostNames lists every host by name, for the showcase's filter.
func (s *Showcase) HostNames(ctx context.Context) ([]HostName, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT slug, name FROM hosts ORDER BY name, slug`)
	if err != nil {
		return nil, database.MapError(err, "training: host names")
	}
	defer rows.Close()
	var out []HostName
	for rows.Next() {
		var h HostName
		if err := rows.Scan(&h.Slug, &h.Name); err != nil {
			return nil, database.MapError(err, "training: host names")
		}
		out = append(out, h)
	}
	return out, database.MapError(rows.Err(), "training: host names")
}
