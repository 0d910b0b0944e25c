package onboarding

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// QueueStatuses are the statuses staff review requests in, in the order the
// queue counts them (drafts are the association's alone).
var QueueStatuses = []Status{StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned, StatusApproved,
	StatusProvisioning, QueueStopped, StatusReady, StatusDeclined, StatusWithdrawn}

// QueueStopped is a tab of the queue, not a status a request is in: the
// requests approved whose workspace creation stopped (it met a permanent
// failure, ran out of retries, or staff cancelled it) and waits for staff.
// They are counted and listed there, not under approved or provisioning,
// whose creations run.
const QueueStopped Status = "creation_stopped"

// CreationJobKind and StoppedJobStatuses are how the provisioning engine
// writes a workspace creation's job and its statuses waiting for staff
// (provisioning.KindProvision and provisioning.JobStatus.Stopped, which
// onboarding cannot import; a test there holds them equal).
const CreationJobKind = "provision"

// StoppedJobStatuses: see CreationJobKind.
var StoppedJobStatuses = []string{"needs_attention", "failed", "cancelled"}

// creationList is the statuses of a request whose workspace is being
// created; creationStopped holds for one whose creation stopped.
var (
	creationList    = statusList([]Status{StatusApproved, StatusProvisioning})
	creationStopped = `(a.status IN (` + creationList + `) AND EXISTS (SELECT 1 FROM provisioning_jobs j
		WHERE j.application_id = a.id AND j.kind = '` + CreationJobKind + `' AND j.status IN (` + quoted(StoppedJobStatuses) + `)))`
	// queueTab is the tab a request is counted under.
	queueTab = `CASE WHEN ` + creationStopped + ` THEN '` + string(QueueStopped) + `' ELSE a.status END`
)

func quoted(list []string) string {
	out := make([]Status, len(list))
	for i, v := range list {
		out[i] = Status(v)
	}
	return statusList(out)
}

// QueueSorts are the orders the queue may be read in; the first is the
// default (the request waiting longest first).
var QueueSorts = []string{"oldest", "newest", "status", "host", "name"}

// QueuePerPage is how many requests a page of the queue lists.
const QueuePerPage = 50

// QueueFilter selects requests of the review queue; zero fields match
// everything. The store narrows it to what the acting account may see: a
// host's staff and trainers never see another host's requests.
type QueueFilter struct {
	HostID    string // every host when empty (administrators only)
	Status    Status
	OlderThan int      // days since the request was sent; 0 for any age
	Services  []string // every one of them wanted
	Search    string   // words found in the name, contact, e-mail, town or RNA/SIREN
	Mine      bool     // only the requests assigned to the acting account
	Sort      string   // one of QueueSorts; the first when empty
	Page      int      // from 1
}

// QueueQuery is the queue's filter form as typed, kept for showing it back.
type QueueQuery struct {
	Host      string   `form:"host"`
	Status    string   `form:"filter_status"`
	OlderThan string   `form:"older_than"`
	Services  []string `form:"filter_services"`
	Search    string   `form:"q"`
	Mine      string   `form:"mine"`
	Sort      string   `form:"sort"`
	Page      string   `form:"page"`
}

// Filter checks the form and returns the filter it asks for.
func (q *QueueQuery) Filter() (QueueFilter, FieldErrors) {
	var fe FieldErrors
	f := QueueFilter{HostID: strings.TrimSpace(q.Host), Page: 1}
	if q.Status != "" {
		ok := false
		for _, s := range QueueStatuses {
			if string(s) == q.Status {
				ok = true
			}
		}
		if ok {
			f.Status = Status(q.Status)
		} else {
			fe.add("filter_status", "err.choice")
		}
	}
	if q.OlderThan = clean(q.OlderThan); q.OlderThan != "" {
		n, err := strconv.Atoi(q.OlderThan)
		switch {
		case err != nil:
			fe.add("older_than", "err.number")
		case n < 0 || n > 3650:
			fe.add("older_than", "err.older_than.range")
		default:
			f.OlderThan = n
		}
	}
	for _, s := range q.Services {
		if !oneOf(s, Services) {
			fe.add("filter_services", "err.choice")
			break
		}
		f.Services = append(f.Services, s)
	}
	q.Search = clean(q.Search)
	if len([]rune(q.Search)) > 100 {
		fe.add("q", "err.too_long")
	} else {
		f.Search = q.Search
	}
	f.Mine = q.Mine != ""
	if q.Sort != "" {
		if oneOf(q.Sort, QueueSorts) {
			f.Sort = q.Sort
		} else {
			fe.add("sort", "err.choice")
		}
	}
	if q.Page = strings.TrimSpace(q.Page); q.Page != "" {
		// A page out of range is not the user's mistake: the list may have
		// shrunk since the link was made. The store shows the last one.
		if n, err := strconv.Atoi(q.Page); err == nil && n > 1 {
			f.Page = n
		}
	}
	return f, fe
}

// QueueItem is a request as the queue lists it.
type QueueItem struct {
	Application
	HostName     string
	AssignedTo   string // the staff account following it, if any
	AssigneeName string
	// Tab is the queue's tab the request is counted under: its status,
	// or QueueStopped when its workspace creation stopped.
	Tab Status
}

// QueueResult is one page of the queue and how many requests match in all.
type QueueResult struct {
	Items []QueueItem
	Total int
	Page  int
	Pages int
}

// StatusCount is how many requests of the queue are in a status.
type StatusCount struct {
	Status Status
	Count  int
}

// Fold is how the queue compares words: lower case, accents removed, so
// that "etienne" finds "Saint-Étienne".
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// searchText is what the queue's search reads for a request.
func searchText(a *Answers) string {
	return Fold(strings.Join([]string{a.Association.Name, a.Members.ContactName, a.Association.ContactEmail,
		a.Association.Town, a.Association.Postcode, a.Association.LegalID}, " "))
}

// scopeQueue narrows a filter to what the acting account may see: an
// administrator any host (or the one chosen), anyone else their own host.
func scopeQueue(actor *accounts.User, f QueueFilter) (QueueFilter, error) {
	if actor == nil {
		return f, apperr.New(apperr.Forbidden, "error.forbidden", "onboarding: queue")
	}
	if !actor.Admin() {
		if actor.HostID == "" {
			return f, apperr.New(apperr.NotFound, "error.not_found", "onboarding: queue")
		}
		f.HostID = actor.HostID
	}
	return f, nil
}

// where builds the queue's conditions; the status filter is left out when
// counting per status.
func (f QueueFilter) where(actor *accounts.User, now time.Time, withStatus bool) (string, []any) {
	conds := []string{"a.status <> 'draft'", "a.erased_at IS NULL"} // an erased request only serves the figures
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.HostID != "" {
		conds = append(conds, "a.host_id = "+arg(f.HostID))
	}
	switch {
	case !withStatus || f.Status == "":
	case f.Status == QueueStopped:
		conds = append(conds, creationStopped)
	case f.Status == StatusApproved || f.Status == StatusProvisioning:
		conds = append(conds, "a.status = "+arg(string(f.Status)), "NOT "+creationStopped)
	default:
		conds = append(conds, "a.status = "+arg(string(f.Status)))
	}
	if f.OlderThan > 0 {
		conds = append(conds, "a.submitted_at <= "+arg(now.Add(-time.Duration(f.OlderThan)*24*time.Hour)))
	}
	for _, s := range f.Services {
		// Services are checked against the list: no wildcard comes from input.
		conds = append(conds, "(',' || a.services || ',') LIKE "+arg("%,"+s+",%"))
	}
	for _, w := range strings.Fields(Fold(f.Search)) {
		// Each word must appear; the digits of an RNA/SIREN typed with
		// spaces are one word once joined.
		conds = append(conds, "a.search_text LIKE "+arg("%"+likeEscape(w)+"%")+` ESCAPE '\'`)
	}
	if f.Mine {
		conds = append(conds, "a.assigned_to = "+arg(actor.ID))
	}
	return strings.Join(conds, " AND "), args
}

// likeEscape keeps a typed % or _ from acting as a wildcard.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// orderBy is the SQL order of a sort, always ending on a unique key so that
// pages never overlap.
func (f QueueFilter) orderBy() string {
	var b strings.Builder
	b.WriteString("CASE a.status")
	for i, st := range QueueStatuses {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", st, i)
	}
	b.WriteString(" END")
	statusRank := b.String()
	switch f.Sort {
	case "newest":
		return "a.submitted_at DESC, a.created_at DESC, a.id"
	case "status":
		return statusRank + ", a.submitted_at, a.id"
	case "host":
		// Requests without a host (the shared queue) first: they wait for
		// an administrator.
		return "COALESCE(h.name, ''), a.submitted_at, a.id"
	case "name":
		return "LOWER(a.association_name), a.id"
	}
	return "a.submitted_at, a.created_at, a.id"
}

const queueFrom = ` FROM applications a LEFT JOIN hosts h ON h.id = a.host_id
	LEFT JOIN staff_users su ON su.id = a.assigned_to WHERE `

var queueExtra = `, COALESCE(h.name, ''), COALESCE(a.assigned_to, ''), COALESCE(NULLIF(su.name, ''), su.email, ''), ` + queueTab

// Queue lists one page of the requests a filter selects among those the
// acting account may see, with how many match in all. A page past the end
// shows the last one. Errors: forbidden without an actor, not found for a
// staff account without a host.
func (s *Store) Queue(ctx context.Context, actor *accounts.User, f QueueFilter) (*QueueResult, error) {
	f, err := scopeQueue(actor, f)
	if err != nil {
		return nil, err
	}
	where, args := f.where(actor, s.now(), true)
	res := &QueueResult{Page: max(f.Page, 1)}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*)`+queueFrom+where, args...).Scan(&res.Total); err != nil {
		return nil, database.MapError(err, "onboarding: queue")
	}
	res.Pages = max((res.Total+QueuePerPage-1)/QueuePerPage, 1)
	res.Page = min(res.Page, res.Pages)
	limit := fmt.Sprintf(" LIMIT %d OFFSET %d", QueuePerPage, (res.Page-1)*QueuePerPage)
	res.Items, err = s.queueRows(ctx, `SELECT `+appColumns+queueExtra+queueFrom+where+` ORDER BY `+f.orderBy()+limit, args)
	return res, err
}

// QueueExport lists every request a filter selects among those the acting
// account may see, in the filter's order (the CSV export); the page is
// ignored.
func (s *Store) QueueExport(ctx context.Context, actor *accounts.User, f QueueFilter) ([]QueueItem, error) {
	f, err := scopeQueue(actor, f)
	if err != nil {
		return nil, err
	}
	where, args := f.where(actor, s.now(), true)
	return s.queueRows(ctx, `SELECT `+appColumns+queueExtra+queueFrom+where+` ORDER BY `+f.orderBy(), args)
}

func (s *Store) queueRows(ctx context.Context, query string, args []any) ([]QueueItem, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, database.MapError(err, "onboarding: queue")
	}
	defer rows.Close()
	var out []QueueItem
	for rows.Next() {
		var it QueueItem
		a, err := scanApplication(withExtra{rows, []any{&it.HostName, &it.AssignedTo, &it.AssigneeName, &it.Tab}})
		if err != nil {
			return nil, database.MapError(err, "onboarding: queue")
		}
		it.Application = *a
		out = append(out, it)
	}
	return out, database.MapError(rows.Err(), "onboarding: queue")
}

// withExtra scans a row's request columns followed by more columns.
type withExtra struct {
	row   scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// QueueCounts counts the requests a filter selects per status (a stopped
// creation under QueueStopped, as the list filtered on it shows), whatever
// status it asks for, in the order of QueueStatuses, among those the acting
// account may see.
func (s *Store) QueueCounts(ctx context.Context, actor *accounts.User, f QueueFilter) ([]StatusCount, error) {
	f, err := scopeQueue(actor, f)
	if err != nil {
		return nil, err
	}
	where, args := f.where(actor, s.now(), false)
	rows, err := s.db.QueryContext(ctx, `SELECT tab, COUNT(*) FROM (SELECT `+queueTab+` AS tab FROM applications a WHERE `+where+`) t GROUP BY tab`, args...)
	if err != nil {
		return nil, database.MapError(err, "onboarding: queue counts")
	}
	defer rows.Close()
	counts := map[Status]int{}
	for rows.Next() {
		var st Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, database.MapError(err, "onboarding: queue counts")
		}
		counts[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, database.MapError(err, "onboarding: queue counts")
	}
	out := make([]StatusCount, 0, len(QueueStatuses))
	for _, st := range QueueStatuses {
		out = append(out, StatusCount{st, counts[st]})
	}
	return out, nil
}

// Assignee is a staff account a request may be assigned to.
type Assignee struct {
	ID   string
	Name string
}

// Assignees lists who may follow a host's requests: its active staff and
// the archipelago's administrators, by name.
func (s *Store) Assignees(ctx context.Context, hostID string) ([]Assignee, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(NULLIF(name, ''), email) FROM staff_users
		WHERE active AND (role = 'admin' OR (role = 'staff' AND host_id = $1)) ORDER BY 2, id`, hostID)
	if err != nil {
		return nil, database.MapError(err, "onboarding: assignees")
	}
	defer rows.Close()
	var out []Assignee
	for rows.Next() {
		var a Assignee
		if err := rows.Scan(&a.ID, &a.Name); err != nil {
			return nil, database.MapError(err, "onboarding: assignees")
		}
		out = append(out, a)
	}
	return out, database.MapError(rows.Err(), "onboarding: assignees")
}

// Assignment returns who follows a request: the account's ID and name,
// both empty when nobody does.
func (s *Store) Assignment(ctx context.Context, id string) (Assignee, error) {
	var a Assignee
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(a.assigned_to, ''), COALESCE(NULLIF(su.name, ''), su.email, '')
		FROM applications a LEFT JOIN staff_users su ON su.id = a.assigned_to WHERE a.id = $1`, id).Scan(&a.ID, &a.Name)
	return a, database.MapError(err, "onboarding: assignment")
}

// Assign gives a request to a staff member (assignee empty: to nobody),
// with its audit line in the same transaction. Only the request's host's
// staff and administrators may assign, and only to one of Assignees.
// Errors: not found for a request the actor may not see, forbidden for a
// trainer, invalid for an assignee who may not follow it.
func (s *Store) Assign(ctx context.Context, actor *accounts.User, a *Application, assignee string) error {
	if actor == nil || a.Status == StatusDraft || !actor.CanSeeHost(a.HostID) {
		return apperr.New(apperr.NotFound, "error.not_found", "onboarding: assign")
	}
	if !actor.Admin() && actor.Role != accounts.RoleStaff {
		return apperr.New(apperr.Forbidden, "error.forbidden", "onboarding: assign")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var to any
		name := ""
		if assignee != "" {
			err := tx.QueryRowContext(ctx, `SELECT COALESCE(NULLIF(name, ''), email) FROM staff_users
				WHERE id = $1 AND active AND (role = 'admin' OR (role = 'staff' AND host_id = $2))`, assignee, a.HostID).Scan(&name)
			if err == sql.ErrNoRows {
				return apperr.New(apperr.Invalid, "err.assignee", "onboarding: assign")
			}
			if err != nil {
				return err
			}
			to = assignee
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET assigned_to = $1 WHERE id = $2`, to, a.ID); err != nil {
			return err
		}
		action, detail := accounts.ActionAssigned, StoredMessage("audit.assigned.to", map[string]any{"Name": name})
		if assignee == "" {
			action, detail = accounts.ActionUnassigned, ""
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.now(), actor.ID, actor.Email, action, a.HostID, a.ID, detail)
		return err
	})
	return database.MapError(err, "onboarding: assign")
}

// Names returns the association names of requests by id, for the audit
// log's links; erased or unknown requests are left out.
func (s *Store) Names(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 200)]
		ids = ids[len(batch):]
		marks := make([]string, len(batch))
		args := make([]any, len(batch))
		for i, id := range batch {
			marks[i] = fmt.Sprintf("$%d", i+1)
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, association_name FROM applications
			WHERE association_name <> '' AND id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, database.MapError(err, "onboarding: names")
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, database.MapError(err, "onboarding: names")
			}
			out[id] = name
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, database.MapError(err, "onboarding: names")
		}
	}
	return out, nil
}
