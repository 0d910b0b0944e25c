package rights

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"strings"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
)

// ExportFormat and ExportVersion name the schema an Export follows:
// rights/schema/export-v1.json, served at /donnees/schema/v1.json. A change
// that removes or retypes a field makes a new version.
const (
	ExportFormat  = "archipel-export"
	ExportVersion = 1
)

// Export is everything Archipel holds about one request and its workspace,
// as the association may take it away. Staff's internal notes (request
// notes, interview notes, session notes, the closing note of a case) are the
// host's working documents and are not part of it; NotIncluded names them.
type Export struct {
	Format        string            `json:"format"`
	Version       int               `json:"version"`
	GeneratedAt   time.Time         `json:"generated_at"`
	Host          *ExportHost       `json:"host"`
	Request       ExportRequest     `json:"request"`
	Timeline      []ExportEvent     `json:"timeline"`
	Emails        []ExportEmail     `json:"emails"`
	Interviews    []ExportInterview `json:"interviews"`
	Workspace     *ExportWorkspace  `json:"workspace"`
	Case          *ExportCase       `json:"case"`
	Sessions      []ExportSession   `json:"sessions"`
	CheckIns      []ExportCheckIn   `json:"checkins"`
	UsageReadings []ExportUsage     `json:"usage_readings"`
	Showcase      *ExportShowcase   `json:"showcase"`
	Consents      []ExportConsent   `json:"consents"`
	Retention     []ExportRetention `json:"retention"`
	NotIncluded   []string          `json:"not_included"`
}

// NotIncluded lists what an export leaves out, and why: see Export.
var NotIncluded = []string{"request_notes", "interview_notes", "session_notes", "case_close_note"}

// ExportHost is the partner host that handles the request: who holds the data.
type ExportHost struct {
	Name         string `json:"name"`
	Website      string `json:"website"`
	ContactEmail string `json:"contact_email"`
}

// ExportRequest is the request as the association filled it in.
type ExportRequest struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Language        string          `json:"language"`
	AssociationName string          `json:"association_name"`
	ContactEmail    string          `json:"contact_email"`
	LegalID         string          `json:"legal_id"`
	Departement     string          `json:"departement"`
	Services        []string        `json:"services"`
	Answers         json.RawMessage `json:"answers"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	SubmittedAt     *time.Time      `json:"submitted_at"`
	EmailVerifiedAt *time.Time      `json:"email_verified_at"`
}

// ExportEvent is one entry of the request's timeline.
type ExportEvent struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Detail string    `json:"detail"`
}

// ExportEmail is an e-mail sent to the association.
type ExportEmail struct {
	Subject string     `json:"subject"`
	To      string     `json:"to"`
	SentAt  *time.Time `json:"sent_at"`
}

// ExportInterview is an interview planned with the association.
type ExportInterview struct {
	ScheduledAt     time.Time `json:"scheduled_at"`
	DurationMinutes int       `json:"duration_minutes"`
	Mode            string    `json:"mode"`
	Link            string    `json:"link"`
	Place           string    `json:"place"`
	Status          string    `json:"status"`
}

// ExportWorkspace is the workspace opened on the host's Nextcloud.
type ExportWorkspace struct {
	LoginURL   string     `json:"login_url"`
	AccountID  string     `json:"account_id"`
	GroupID    string     `json:"group_id"`
	Folder     string     `json:"folder"`
	QuotaBytes int64      `json:"quota_bytes"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at"`
}

// ExportCase is the accompaniment of the association.
type ExportCase struct {
	Stage    string     `json:"stage"`
	Goals    string     `json:"goals"`
	Outcome  string     `json:"outcome"`
	OpenedAt time.Time  `json:"opened_at"`
	ClosedAt *time.Time `json:"closed_at"`
}

// ExportSession is a training session held with the association.
type ExportSession struct {
	StartsAt        time.Time `json:"starts_at"`
	DurationMinutes int       `json:"duration_minutes"`
	Format          string    `json:"format"`
	Topics          []string  `json:"topics"`
	Attendees       int       `json:"attendees"`
	NextSteps       string    `json:"next_steps"`
}

// ExportCheckIn is a check-in sent to the association, with its answers.
type ExportCheckIn struct {
	OffsetDays    int        `json:"offset_days"`
	DueAt         time.Time  `json:"due_at"`
	Status        string     `json:"status"`
	SentAt        *time.Time `json:"sent_at"`
	AnsweredAt    *time.Time `json:"answered_at"`
	Rating        int        `json:"rating"`
	Works         string     `json:"works"`
	Blocks        string     `json:"blocks"`
	WantsHelp     bool       `json:"wants_help"`
	WantsTraining bool       `json:"wants_training"`
}

// ExportUsage is one reading of the workspace's use on the host's Nextcloud.
type ExportUsage struct {
	TakenAt     time.Time  `json:"taken_at"`
	OK          bool       `json:"ok"`
	Accounts    int        `json:"accounts"`
	LastLoginAt *time.Time `json:"last_login_at"`
	UsedBytes   int64      `json:"used_bytes"`
	QuotaBytes  int64      `json:"quota_bytes"`
}

// ExportShowcase is the association's entry in the public showcase.
type ExportShowcase struct {
	AssociationName string      `json:"association_name"`
	Town            string      `json:"town"`
	Departement     string      `json:"departement"`
	Region          string      `json:"region"`
	Story           string      `json:"story"`
	Quote           string      `json:"quote"`
	Services        []string    `json:"services"`
	Status          string      `json:"status"`
	Version         int         `json:"version"`
	PublishedAt     *time.Time  `json:"published_at"`
	WithdrawnAt     *time.Time  `json:"withdrawn_at"`
	Logo            *ExportLogo `json:"logo"`
}

// ExportLogo is the showcase entry's logo, as sent.
type ExportLogo struct {
	MediaType string `json:"media_type"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Data      []byte `json:"data_base64"`
}

// ExportConsent is one recorded decision on the showcase entry.
type ExportConsent struct {
	EntryVersion int       `json:"entry_version"`
	Decision     string    `json:"decision"`
	At           time.Time `json:"at"`
}

// ExportRetention is how long one kind of record is kept (rights.Retention).
type ExportRetention struct {
	Kind string `json:"kind"`
	N    int    `json:"n"`
	Unit Unit   `json:"unit"`
}

// Store reads and records the exercise of data rights.
type Store struct {
	db  *database.DB
	now func() time.Time
	// OutboxDir is where e-mails are written as files when no SMTP server
	// is configured (empty otherwise): an erasure removes the copies sent
	// to the erased contact.
	OutboxDir string
	// Postman puts the association's e-mails about its data-rights
	// requests (a refusal, the notice of an erasure) in the outbox, in the
	// transaction of the answer. Without one no e-mail is written (domain
	// tests that do not look at mail).
	Postman *mail.Postman
}

// NewStore returns a Store; a nil now means time.Now.
func NewStore(db *database.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: func() time.Time { return now().UTC() }}
}

// Requester says who asks: the association through its private link, or a
// staff account.
type Requester struct {
	Staff *accounts.User // nil for the association itself
}

// By returns the register's requested_by for r: "association" or a staff
// account's id.
func (r Requester) by() string {
	if r.Staff == nil {
		return "association"
	}
	return r.Staff.ID
}

// ExportFor returns everything held about the request id, and records the
// export in the register. The association reaches only its own request
// (its private link named it); staff only the requests of their host (an
// administrator any), and never a draft. Errors: not found (also for a
// request the requester may not see), internal.
func (s *Store) ExportFor(ctx context.Context, who Requester, id string) (*Export, error) {
	var out *Export
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		hostID, err := scopeRequest(ctx, tx, who, id)
		if err != nil {
			return err
		}
		out, err = readExport(ctx, tx, id, s.now())
		if err != nil {
			return err
		}
		return record(ctx, tx, &registerLine{Kind: KindExport, ApplicationID: id, HostID: hostID, By: who.by(),
			At: s.now(), Status: StatusDone, AnsweredBy: who.by()})
	})
	if err != nil {
		return nil, database.MapError(err, "rights: export")
	}
	return out, nil
}

// scopeRequest checks that who may reach the request id and returns its
// host; not found otherwise.
func scopeRequest(ctx context.Context, tx *sql.Tx, who Requester, id string) (string, error) {
	var hostID, status string
	var erased sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(host_id, ''), status, erased_at FROM applications WHERE id = $1`, id).
		Scan(&hostID, &status, &erased)
	if err != nil {
		return "", err
	}
	notFound := apperr.New(apperr.NotFound, "error.not_found", "rights: request")
	if erased.Valid {
		return "", notFound
	}
	if u := who.Staff; u != nil {
		staffMay := u.Admin() || (u.Role == accounts.RoleStaff && u.HostID != "" && u.HostID == hostID)
		if !staffMay || status == "draft" {
			return "", notFound
		}
	}
	return hostID, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// readExport gathers the export of request id.
func readExport(ctx context.Context, tx *sql.Tx, id string, now time.Time) (*Export, error) {
	e := &Export{Format: ExportFormat, Version: ExportVersion, GeneratedAt: now,
		Timeline: []ExportEvent{}, Emails: []ExportEmail{}, Interviews: []ExportInterview{}, Sessions: []ExportSession{},
		CheckIns: []ExportCheckIn{}, UsageReadings: []ExportUsage{}, Consents: []ExportConsent{},
		NotIncluded: append([]string(nil), NotIncluded...)}
	for _, r := range Retention {
		e.Retention = append(e.Retention, ExportRetention{Kind: r.Kind, N: r.Keep.N, Unit: r.Keep.Unit})
	}
	r := &e.Request
	var answers, services, hostID string
	var submitted, verified sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT id, status, language, answers, association_name, contact_email, legal_id,
		departement, services, COALESCE(host_id, ''), created_at, updated_at, submitted_at, email_verified_at
		FROM applications WHERE id = $1`, id).Scan(&r.ID, &r.Status, &r.Language, &answers, &r.AssociationName,
		&r.ContactEmail, &r.LegalID, &r.Departement, &services, &hostID, &r.CreatedAt, &r.UpdatedAt, &submitted, &verified)
	if err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	r.Services, r.SubmittedAt, r.EmailVerifiedAt = splitList(services), timePtr(submitted), timePtr(verified)
	if !json.Valid([]byte(answers)) {
		answers = "{}"
	}
	r.Answers = json.RawMessage(answers)
	if hostID != "" {
		h := &ExportHost{}
		if err := tx.QueryRowContext(ctx, `SELECT name, website, contact_email FROM hosts WHERE id = $1`, hostID).
			Scan(&h.Name, &h.Website, &h.ContactEmail); err != nil {
			return nil, err
		}
		e.Host = h
	}
	if err := readRows(ctx, tx, `SELECT kind, created_at, detail FROM application_events
		WHERE application_id = $1 AND (public OR actor = '') ORDER BY id`, id, func(rows *sql.Rows) error {
		var ev ExportEvent
		err := rows.Scan(&ev.Kind, &ev.At, &ev.Detail)
		ev.At = ev.At.UTC()
		e.Timeline = append(e.Timeline, ev)
		return err
	}); err != nil {
		return nil, err
	}
	if err := readEmails(ctx, tx, id, e); err != nil {
		return nil, err
	}
	if err := readRows(ctx, tx, `SELECT scheduled_at, duration_minutes, mode, link, place, status FROM interviews
		WHERE application_id = $1 ORDER BY scheduled_at`, id, func(rows *sql.Rows) error {
		var iv ExportInterview
		err := rows.Scan(&iv.ScheduledAt, &iv.DurationMinutes, &iv.Mode, &iv.Link, &iv.Place, &iv.Status)
		iv.ScheduledAt = iv.ScheduledAt.UTC()
		e.Interviews = append(e.Interviews, iv)
		return err
	}); err != nil {
		return nil, err
	}
	var w ExportWorkspace
	var disabled sql.NullTime
	err = tx.QueryRowContext(ctx, `SELECT login_url, account_id, group_id, folder, quota_bytes, created_at, disabled_at
		FROM workspaces WHERE application_id = $1`, id).Scan(&w.LoginURL, &w.AccountID, &w.GroupID, &w.Folder, &w.QuotaBytes, &w.CreatedAt, &disabled)
	switch {
	case err == nil:
		w.CreatedAt, w.DisabledAt = w.CreatedAt.UTC(), timePtr(disabled)
		e.Workspace = &w
	case err != sql.ErrNoRows:
		return nil, err
	}
	var caseID string
	var c ExportCase
	var closed sql.NullTime
	err = tx.QueryRowContext(ctx, `SELECT id, stage, goals, outcome, opened_at, closed_at FROM cases WHERE application_id = $1`, id).
		Scan(&caseID, &c.Stage, &c.Goals, &c.Outcome, &c.OpenedAt, &closed)
	switch {
	case err == sql.ErrNoRows:
		return e, nil
	case err != nil:
		return nil, err
	}
	c.OpenedAt, c.ClosedAt = c.OpenedAt.UTC(), timePtr(closed)
	e.Case = &c
	if err := readCase(ctx, tx, caseID, e); err != nil {
		return nil, err
	}
	return e, nil
}

// readCase adds what the accompaniment holds: sessions, check-ins, usage
// readings, showcase entry and consents.
func readCase(ctx context.Context, tx *sql.Tx, caseID string, e *Export) error {
	if err := readRows(ctx, tx, `SELECT starts_at, duration_minutes, format, topics, attendees, next_steps
		FROM training_sessions WHERE case_id = $1 ORDER BY starts_at`, caseID, func(rows *sql.Rows) error {
		var s ExportSession
		var topics string
		err := rows.Scan(&s.StartsAt, &s.DurationMinutes, &s.Format, &topics, &s.Attendees, &s.NextSteps)
		s.StartsAt, s.Topics = s.StartsAt.UTC(), splitList(topics)
		e.Sessions = append(e.Sessions, s)
		return err
	}); err != nil {
		return err
	}
	if err := readRows(ctx, tx, `SELECT offset_days, due_at, status, sent_at, answered_at, rating, works, blocks,
		wants_help, wants_training FROM checkins WHERE case_id = $1 ORDER BY offset_days`, caseID, func(rows *sql.Rows) error {
		var c ExportCheckIn
		var sent, answered sql.NullTime
		err := rows.Scan(&c.OffsetDays, &c.DueAt, &c.Status, &sent, &answered, &c.Rating, &c.Works, &c.Blocks, &c.WantsHelp, &c.WantsTraining)
		c.DueAt, c.SentAt, c.AnsweredAt = c.DueAt.UTC(), timePtr(sent), timePtr(answered)
		e.CheckIns = append(e.CheckIns, c)
		return err
	}); err != nil {
		return err
	}
	if err := readRows(ctx, tx, `SELECT taken_at, ok, accounts, last_login_at, used_bytes, quota_bytes
		FROM usage_readings WHERE case_id = $1 ORDER BY taken_at`, caseID, func(rows *sql.Rows) error {
		var u ExportUsage
		var last sql.NullTime
		err := rows.Scan(&u.TakenAt, &u.OK, &u.Accounts, &last, &u.UsedBytes, &u.QuotaBytes)
		u.TakenAt, u.LastLoginAt = u.TakenAt.UTC(), timePtr(last)
		e.UsageReadings = append(e.UsageReadings, u)
		return err
	}); err != nil {
		return err
	}
	var entryID, services, logoType string
	var logo []byte
	var width, height int
	var published, withdrawn sql.NullTime
	s := &ExportShowcase{}
	err := tx.QueryRowContext(ctx, `SELECT id, association_name, town, departement, region, story, quote, services, status,
		version, published_at, withdrawn_at, logo, logo_type, logo_width, logo_height FROM showcase_entries WHERE case_id = $1`, caseID).
		Scan(&entryID, &s.AssociationName, &s.Town, &s.Departement, &s.Region, &s.Story, &s.Quote, &services, &s.Status,
			&s.Version, &published, &withdrawn, &logo, &logoType, &width, &height)
	switch {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return err
	}
	s.Services, s.PublishedAt, s.WithdrawnAt = splitList(services), timePtr(published), timePtr(withdrawn)
	if len(logo) > 0 {
		s.Logo = &ExportLogo{MediaType: logoType, Width: width, Height: height, Data: logo}
	}
	e.Showcase = s
	return readRows(ctx, tx, `SELECT entry_version, decision, at FROM showcase_consents WHERE entry_id = $1 ORDER BY id`,
		entryID, func(rows *sql.Rows) error {
			var c ExportConsent
			err := rows.Scan(&c.EntryVersion, &c.Decision, &c.At)
			c.At = c.At.UTC()
			e.Consents = append(e.Consents, c)
			return err
		})
}

// readEmails adds the e-mails sent or to be sent to the association, from
// the outbox (subject, address, date; the bodies held private links).
func readEmails(ctx context.Context, tx *sql.Tx, id string, e *Export) error {
	return readRows(ctx, tx, `SELECT subject, to_addr, sent_at FROM mail_outbox WHERE application_id = $1
		ORDER BY created_at, id`, id, func(rows *sql.Rows) error {
		var m ExportEmail
		var sent sql.NullTime
		err := rows.Scan(&m.Subject, &m.To, &sent)
		m.SentAt = timePtr(sent)
		e.Emails = append(e.Emails, m)
		return err
	})
}

func readRows(ctx context.Context, tx *sql.Tx, query, id string, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ExportSchema is the JSON Schema (draft 2020-12) of an Export.
//
//go:embed schema/export-v1.json
var ExportSchema []byte
