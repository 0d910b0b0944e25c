package onboarding

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/chatonsinfos"
	"archipel/database"
)

// HostChatonsInfos is what Archipel knows of a host's ChatonsInfos
// organization file: its address, the last good reading (kept when a later
// read fails, the failure said beside it) and whether the host's Nextcloud
// service declares itself FULL.
type HostChatonsInfos struct {
	HostID      string
	URL         string
	Name        string
	Description string
	Website     string
	Email       string
	Place       string
	Services    []ChatonsService
	ReadAt      time.Time // last good reading; zero: never
	TriedAt     time.Time // last attempt
	ErrorKey    string    // why the last attempt failed (a message ID); empty when it succeeded
	ErrorDetail string
	FullService string    // the Nextcloud service that declared itself FULL
	FullSince   time.Time // zero while it is not full
	// PausedByFile says that the host's pause comes from the file: its
	// service turning OPEN again lifts it.
	PausedByFile bool
}

// Failing reports whether the last read failed (the values shown are then
// those of the last good reading).
func (h *HostChatonsInfos) Failing() bool { return h.ErrorKey != "" }

// Full reports whether the host's Nextcloud service declares itself FULL.
func (h *HostChatonsInfos) Full() bool { return !h.FullSince.IsZero() }

// ChatonsService is one service an organization file lists.
type ChatonsService struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Website      string `json:"website,omitempty"`
	Software     string `json:"software,omitempty"`
	Registration string `json:"registration,omitempty"`
	Load         string `json:"load,omitempty"`
	Nextcloud    bool   `json:"nextcloud,omitempty"`
	ErrorKey     string `json:"error,omitempty"` // the service file could not be read
}

// Full reports whether the service declares itself FULL.
func (s ChatonsService) Full() bool { return s.Load == chatonsinfos.LoadFull }

const chatonsColumns = `host_id, url, org_name, org_description, org_website, org_email, org_place, services,
	read_at, tried_at, error_key, error_detail, full_service, full_since, paused_by_file`

func scanChatons(row scanner) (*HostChatonsInfos, error) {
	var h HostChatonsInfos
	var services string
	var read, tried, full sql.NullTime
	if err := row.Scan(&h.HostID, &h.URL, &h.Name, &h.Description, &h.Website, &h.Email, &h.Place, &services,
		&read, &tried, &h.ErrorKey, &h.ErrorDetail, &h.FullService, &full, &h.PausedByFile); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(services), &h.Services); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	h.ReadAt, h.TriedAt, h.FullSince = read.Time, tried.Time, full.Time
	return &h, nil
}

// HostChatonsInfos returns what is known of a host's ChatonsInfos file;
// NotFound when the host has none.
func (s *Store) HostChatonsInfos(ctx context.Context, hostID string) (*HostChatonsInfos, error) {
	h, err := scanChatons(s.db.QueryRowContext(ctx, `SELECT `+chatonsColumns+` FROM host_chatonsinfos WHERE host_id = $1`, hostID))
	if err != nil {
		return nil, database.MapError(err, "onboarding: host chatonsinfos")
	}
	return h, nil
}

// ListHostChatonsInfos returns every host's ChatonsInfos link, by host id.
func (s *Store) ListHostChatonsInfos(ctx context.Context) (map[string]*HostChatonsInfos, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+chatonsColumns+` FROM host_chatonsinfos ORDER BY host_id`)
	if err != nil {
		return nil, database.MapError(err, "onboarding: list chatonsinfos")
	}
	defer rows.Close()
	out := map[string]*HostChatonsInfos{}
	for rows.Next() {
		h, err := scanChatons(rows)
		if err != nil {
			return nil, database.MapError(err, "onboarding: list chatonsinfos")
		}
		out[h.HostID] = h
	}
	return out, database.MapError(rows.Err(), "onboarding: list chatonsinfos")
}

// ChatonsForm is the administrator's form that links a host to its
// organization file.
type ChatonsForm struct {
	URL string `form:"chatons_url"`
}

// Validate checks the address: http or https only.
func (f *ChatonsForm) Validate() FieldErrors {
	f.URL = clean(f.URL)
	var fe FieldErrors
	if f.URL == "" {
		fe.add("chatons_url", "err.chatons_url.required")
	} else if err := chatonsinfos.CheckURL(f.URL); err != nil || len(f.URL) > 2000 {
		fe.add("chatons_url", "err.chatons_url.invalid")
	}
	return fe
}

// SetHostChatonsURL links a host to its organization file (keeping what
// was read from the same address before), or unlinks it when url is
// empty; unlinking lifts a pause that came from the file.
//
// It is an administrator's (actor; not found for anyone else); then (the
// audit line) commits in the same transaction.
func (s *Store) SetHostChatonsURL(ctx context.Context, actor *accounts.User, hostID, url string, then ...database.Then) error {
	if actor == nil || !actor.Admin() {
		return apperr.New(apperr.NotFound, "error.not_found", "onboarding: set chatonsinfos")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT TRUE FROM hosts WHERE id = $1`, hostID).Scan(&exists); err != nil {
			return err
		}
		if url == "" {
			if _, err := tx.ExecContext(ctx, `UPDATE hosts SET paused = FALSE, updated_at = $1
			WHERE id = $2 AND EXISTS (SELECT 1 FROM host_chatonsinfos c WHERE c.host_id = hosts.id AND c.paused_by_file)`, s.now(), hostID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM host_chatonsinfos WHERE host_id = $1`, hostID); err != nil {
				return err
			}
			return database.RunThen(tx, then)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO host_chatonsinfos (host_id, url) VALUES ($1, $2)
		ON CONFLICT (host_id) DO UPDATE SET url = excluded.url`, hostID, url); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, "onboarding: set chatonsinfos")
}

// ChatonsChange says what a reading changed in the host's matching.
type ChatonsChange struct {
	Paused  bool // the Nextcloud service turned FULL: matching paused
	Resumed bool // it turned OPEN again: the pause it caused lifted
}

// recordChatonsReading stores a reading (or the failure of one) and
// pauses or resumes the host's matching when its Nextcloud service turns
// FULL or OPEN, in one transaction.
func (s *Store) recordChatonsReading(ctx context.Context, hostID string, r *chatonsinfos.Reading, readErr error) (ChatonsChange, error) {
	var change ChatonsChange
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return change, database.MapError(err, "onboarding: record chatonsinfos")
	}
	defer tx.Rollback()
	cur, err := scanChatons(tx.QueryRowContext(ctx, `SELECT `+chatonsColumns+` FROM host_chatonsinfos WHERE host_id = $1`, hostID))
	if err != nil {
		return change, database.MapError(err, "onboarding: record chatonsinfos")
	}
	now := s.now()
	if readErr != nil {
		detail := readErr.Error()
		if len(detail) > 500 {
			detail = detail[:500]
		}
		_, err := tx.ExecContext(ctx, `UPDATE host_chatonsinfos SET tried_at = $1, error_key = $2, error_detail = $3 WHERE host_id = $4`,
			now, chatonsinfos.ErrorKey(readErr), detail, hostID)
		if err != nil {
			return change, database.MapError(err, "onboarding: record chatonsinfos")
		}
		return change, database.MapError(tx.Commit(), "onboarding: record chatonsinfos")
	}
	services := make([]ChatonsService, 0, len(r.Services))
	full, fullName, unknown := false, "", false
	for _, sr := range r.Services {
		cs := ChatonsService{URL: sr.URL}
		if sr.Err != nil {
			cs.ErrorKey = chatonsinfos.ErrorKey(sr.Err)
			// A Nextcloud service whose file fails keeps its last state.
			for _, old := range cur.Services {
				if old.URL == sr.URL {
					cs.Name, cs.Software, cs.Nextcloud, cs.Load = old.Name, old.Software, old.Nextcloud, old.Load
				}
			}
			unknown = unknown || cs.Nextcloud
		} else {
			svc := sr.Service
			cs.Name, cs.Website, cs.Software, cs.Registration, cs.Load, cs.Nextcloud =
				svc.Name, svc.Website, svc.Software, svc.Registration, svc.Load, svc.IsNextcloud()
			if cs.Nextcloud && svc.Full() && !full {
				full, fullName = true, svc.Name
			}
		}
		services = append(services, cs)
	}
	if !full && unknown && cur.Full() {
		full, fullName = true, cur.FullService // not known to be open again
	}
	js, err := json.Marshal(services)
	if err != nil {
		return change, fmt.Errorf("onboarding: record chatonsinfos: %w", err)
	}
	o := r.Organization
	if _, err := tx.ExecContext(ctx, `UPDATE host_chatonsinfos SET org_name = $1, org_description = $2, org_website = $3,
		org_email = $4, org_place = $5, services = $6, read_at = $7, tried_at = $7, error_key = '', error_detail = ''
		WHERE host_id = $8`, o.Name, o.Description, o.Website, o.Email, o.Place, string(js), now, hostID); err != nil {
		return change, database.MapError(err, "onboarding: record chatonsinfos")
	}
	switch {
	case full && !cur.Full():
		var paused bool
		if err := tx.QueryRowContext(ctx, `SELECT paused FROM hosts WHERE id = $1`, hostID).Scan(&paused); err != nil {
			return change, database.MapError(err, "onboarding: record chatonsinfos")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE host_chatonsinfos SET full_service = $1, full_since = $2, paused_by_file = $3
			WHERE host_id = $4`, fullName, now, !paused, hostID); err != nil {
			return change, database.MapError(err, "onboarding: record chatonsinfos")
		}
		if !paused {
			if _, err := tx.ExecContext(ctx, `UPDATE hosts SET paused = TRUE, updated_at = $1 WHERE id = $2`, now, hostID); err != nil {
				return change, database.MapError(err, "onboarding: record chatonsinfos")
			}
			change.Paused = true
		}
	case !full && cur.Full():
		if _, err := tx.ExecContext(ctx, `UPDATE host_chatonsinfos SET full_service = '', full_since = NULL, paused_by_file = FALSE
			WHERE host_id = $1`, hostID); err != nil {
			return change, database.MapError(err, "onboarding: record chatonsinfos")
		}
		if cur.PausedByFile {
			if _, err := tx.ExecContext(ctx, `UPDATE hosts SET paused = FALSE, updated_at = $1 WHERE id = $2`, now, hostID); err != nil {
				return change, database.MapError(err, "onboarding: record chatonsinfos")
			}
			change.Resumed = true
		}
	}
	return change, database.MapError(tx.Commit(), "onboarding: record chatonsinfos")
}

// ChatonsReader reads partner hosts' ChatonsInfos files.
type ChatonsReader struct {
	store   *Store
	fetcher *chatonsinfos.Fetcher
	logger  *slog.Logger
}

// NewChatonsReader returns a reader; logger may be nil.
func NewChatonsReader(store *Store, fetcher *chatonsinfos.Fetcher, logger *slog.Logger) *ChatonsReader {
	if logger == nil {
		logger = slog.Default()
	}
	return &ChatonsReader{store: store, fetcher: fetcher, logger: logger}
}

// Preview reads an organization file for a host being created. Its
// errors have code Unavailable, with the message ID saying why.
func (r *ChatonsReader) Preview(ctx context.Context, url string) (*chatonsinfos.Reading, error) {
	reading, err := r.fetcher.ReadOrganization(ctx, url)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, chatonsinfos.ErrorKey(err), "onboarding: read chatonsinfos", err)
	}
	return reading, nil
}

// Read reads a linked host's file now and records the reading or its
// failure (a failure is recorded, not returned: the page shows it).
// NotFound when the host has no file.
func (r *ChatonsReader) Read(ctx context.Context, hostID string) (ChatonsChange, error) {
	cur, err := r.store.HostChatonsInfos(ctx, hostID)
	if err != nil {
		return ChatonsChange{}, err
	}
	reading, readErr := r.fetcher.ReadOrganization(ctx, cur.URL)
	change, err := r.store.recordChatonsReading(ctx, hostID, reading, readErr)
	if err != nil {
		return change, err
	}
	log := r.logger.With(slog.String("host", hostID))
	switch {
	case readErr != nil:
		log.Warn("chatonsinfos: read failed, last values kept", slog.String("reason", chatonsinfos.ErrorKey(readErr)), slog.Any("err", readErr))
	case change.Paused:
		log.Info("chatonsinfos: Nextcloud service FULL, matching paused")
	case change.Resumed:
		log.Info("chatonsinfos: Nextcloud service OPEN again, matching resumed")
	}
	return change, nil
}

// ReadAll re-reads every linked host's file (the daily task, claimed once
// across replicas by the scheduler).
func (r *ChatonsReader) ReadAll(ctx context.Context) error {
	links, err := r.store.ListHostChatonsInfos(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for id := range links {
		if _, err := r.Read(ctx, id); err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

var postcodeRe = regexp.MustCompile(`\b(\d{5})\b`)

// PrefillHostForm fills a new host's form from an organization file:
// name, a slug made from it, website, contact address, and the
// département and region of its address when it has a French postcode.
func PrefillHostForm(f *HostForm, o *chatonsinfos.Organization) {
	f.Name, f.Website, f.ContactEmail = o.Name, o.Website, o.Email
	if f.Slug == "" {
		f.Slug = slugify(o.Name)
	}
	if m := postcodeRe.FindStringSubmatch(o.Place); m != nil {
		if code, ok := DepartementFromPostcode(m[1]); ok {
			if d, ok := LookupDepartement(code); ok {
				f.Departements, f.Region = d.Code, d.Region
			}
		}
	}
}

// slugify makes a slug suggestion from a name: "L'Île numérique" gives
// "l-ile-numerique".
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	slug := b.String()
	if len(slug) > 40 {
		slug = slug[:40]
	}
	return strings.Trim(slug, "-")
}
