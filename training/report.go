package training

import (
	"context"
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
)

// Period is a span of whole days in Paris: [From, To).
type Period struct {
	From time.Time
	To   time.Time
}

// ReportForm is the funders' report's period (and host, for administrators),
// as typed.
type ReportForm struct {
	From string `form:"report_from"`
	To   string `form:"report_to"`
	Host string `form:"report_host"`
}

// DefaultReportForm covers the current year up to today.
func DefaultReportForm(now time.Time) ReportForm {
	local := now.In(Paris)
	return ReportForm{From: time.Date(local.Year(), 1, 1, 0, 0, 0, 0, Paris).Format("2006-01-02"), To: local.Format("2006-01-02")}
}

// maxReportSpan bounds a report's period.
const maxReportSpan = 5*366*day + day

// Validate checks the period: two dates, the first not after the second,
// at most five years apart.
func (f *ReportForm) Validate() (Period, onboarding.FieldErrors) {
	var fe onboarding.FieldErrors
	f.From, f.To = strings.TrimSpace(f.From), strings.TrimSpace(f.To)
	from, errFrom := time.ParseInLocation("2006-01-02", f.From, Paris)
	if errFrom != nil {
		fe = append(fe, onboarding.FieldError{Field: "report_from", Key: "err.report.date"})
	}
	to, errTo := time.ParseInLocation("2006-01-02", f.To, Paris)
	if errTo != nil {
		fe = append(fe, onboarding.FieldError{Field: "report_to", Key: "err.report.date"})
	}
	if errFrom != nil || errTo != nil {
		return Period{}, fe
	}
	end := to.AddDate(0, 0, 1)
	switch {
	case end.Before(from) || end.Equal(from):
		fe = append(fe, onboarding.FieldError{Field: "report_to", Key: "err.report.order"})
	case end.Sub(from) > maxReportSpan:
		fe = append(fe, onboarding.FieldError{Field: "report_to", Key: "err.report.span"})
	}
	return Period{From: from.UTC(), To: end.UTC()}, fe
}

// ReportRow is a host's accompaniment over a period.
type ReportRow struct {
	HostID       string
	HostName     string
	Associations int // cases open at some point of the period
	Sessions     int
	Minutes      int
	Attendees    int
	Topics       map[string]int // sessions per topic key
	Answers      int            // check-ins answered in the period
	RatingSum    int
}

// Hours is the time spent in sessions.
func (r ReportRow) Hours() float64 { return float64(r.Minutes) / 60 }

// AverageRating is the mean check-in rating (1 to 5), 0 without answers.
func (r ReportRow) AverageRating() float64 {
	if r.Answers == 0 {
		return 0
	}
	return float64(r.RatingSum) / float64(r.Answers)
}

// TopicKeys are the topics of the row, most frequent first.
func (r ReportRow) TopicKeys() []string {
	keys := make([]string, 0, len(r.Topics))
	for k := range r.Topics {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r.Topics[keys[i]] != r.Topics[keys[j]] {
			return r.Topics[keys[i]] > r.Topics[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// MayReport reports whether actor may read the funders' report: the
// administrators (every host's) and a host's staff (their host's), not
// trainers.
func MayReport(actor *accounts.User) bool {
	return actor != nil && (actor.Admin() || (actor.Role == accounts.RoleStaff && actor.HostID != ""))
}

// Report sums up actor's accompaniment over a period, one row per host:
// their host's, or for an administrator the host asked for (every host
// when asked is empty).
//
// Errors: not found for nobody or an account of no host; forbidden for
// one who may not read it (MayReport).
func (s *Store) Report(ctx context.Context, actor *accounts.User, asked string, p Period) ([]ReportRow, error) {
	hostID, err := hostOf(actor, asked, "training: report")
	if err != nil {
		return nil, err
	}
	if !MayReport(actor) {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden", "training: report")
	}
	hosts, err := s.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	byHost := map[string]*ReportRow{}
	var out []*ReportRow
	for _, h := range hosts {
		if hostID != "" && h.ID != hostID {
			continue
		}
		r := &ReportRow{HostID: h.ID, HostName: h.Name, Topics: map[string]int{}}
		byHost[h.ID] = r
		out = append(out, r)
	}
	each := func(q string, scan func(r *ReportRow, rows interface{ Scan(...any) error }) error) error {
		rows, err := s.db.QueryContext(ctx, q, hostID, p.From.UTC(), p.To.UTC())
		if err != nil {
			return database.MapError(err, "training: report")
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			var r ReportRow
			row := &prefixScanner{first: &h, rows: rows}
			if err := scan(&r, row); err != nil {
				return database.MapError(err, "training: report")
			}
			if t := byHost[h]; t != nil {
				merge(t, &r)
			}
		}
		return database.MapError(rows.Err(), "training: report")
	}
	err = each(`SELECT c.host_id, 1 FROM cases c WHERE ($1 = '' OR c.host_id = $1) AND c.opened_at < $3 AND (c.closed_at IS NULL OR c.closed_at >= $2)`,
		func(r *ReportRow, row interface{ Scan(...any) error }) error { return row.Scan(&r.Associations) })
	if err != nil {
		return nil, err
	}
	err = each(`SELECT c.host_id, s.duration_minutes, s.attendees, s.topics FROM training_sessions s JOIN cases c ON c.id = s.case_id
		WHERE ($1 = '' OR c.host_id = $1) AND s.starts_at >= $2 AND s.starts_at < $3`,
		func(r *ReportRow, row interface{ Scan(...any) error }) error {
			var topics string
			if err := row.Scan(&r.Minutes, &r.Attendees, &topics); err != nil {
				return err
			}
			r.Sessions = 1
			r.Topics = map[string]int{}
			for _, t := range splitList(topics) {
				r.Topics[t]++
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT c.host_id, k.rating FROM checkins k JOIN cases c ON c.id = k.case_id
		WHERE ($1 = '' OR c.host_id = $1) AND k.status = `+statusSQL(CheckinAnswered)+` AND k.answered_at >= $2 AND k.answered_at < $3`,
		func(r *ReportRow, row interface{ Scan(...any) error }) error {
			r.Answers = 1
			return row.Scan(&r.RatingSum)
		})
	if err != nil {
		return nil, err
	}
	rows := make([]ReportRow, len(out))
	for i, r := range out {
		rows[i] = *r
	}
	return rows, nil
}

func merge(t, r *ReportRow) {
	t.Associations += r.Associations
	t.Sessions += r.Sessions
	t.Minutes += r.Minutes
	t.Attendees += r.Attendees
	t.Answers += r.Answers
	t.RatingSum += r.RatingSum
	for k, n := range r.Topics {
		t.Topics[k] += n
	}
}

// prefixScanner scans a row's first column (the host) into first and hands
// the rest to the caller's Scan.
type prefixScanner struct {
	first *string
	rows  interface{ Scan(...any) error }
}

func (p *prefixScanner) Scan(dest ...any) error {
	return p.rows.Scan(append([]any{p.first}, dest...)...)
}

// CSVOptions say how WriteReportCSV writes for its reader's spreadsheet.
type CSVOptions struct {
	Comma      rune   // ';' for French spreadsheets, ',' otherwise
	Decimal    string // "," or "."
	Header     []string
	TopicLabel func(key string) string
	From, To   string // the period as shown (dates)
}

// WriteReportCSV writes the report as CSV in UTF-8 with a byte order mark
// (so that spreadsheets read the accents right), one row per host:
// host, from, to, associations, sessions, hours, attendees, topics,
// check-ins answered, average rating.
func WriteReportCSV(w io.Writer, rows []ReportRow, o CSVOptions) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = o.Comma
	cw.UseCRLF = true
	num := func(f float64) string {
		return strings.Replace(strconv.FormatFloat(f, 'f', 2, 64), ".", o.Decimal, 1)
	}
	if err := cw.Write(o.Header); err != nil {
		return err
	}
	for _, r := range rows {
		var topics []string
		for _, k := range r.TopicKeys() {
			label := k
			if o.TopicLabel != nil {
				label = o.TopicLabel(k)
			}
			topics = append(topics, label+" ("+strconv.Itoa(r.Topics[k])+")")
		}
		avg := ""
		if r.Answers > 0 {
			avg = num(r.AverageRating())
		}
		if err := cw.Write([]string{csvSafe(r.HostName), o.From, o.To, strconv.Itoa(r.Associations), strconv.Itoa(r.Sessions), num(r.Hours()),
			strconv.Itoa(r.Attendees), csvSafe(strings.Join(topics, "; ")), strconv.Itoa(r.Answers), avg}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a text cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
