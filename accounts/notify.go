package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
)

// Kind is a kind of event staff may be told about.
type Kind string

// The events staff are told about.
const (
	KindNewRequest   Kind = "new_request"   // a request arrives on my host (or in the shared queue, for administrators)
	KindInfoAnswered Kind = "info_answered" // the association answered "more information"
	KindWithdrawn    Kind = "withdrawn"     // the association withdrew its request
	KindReschedule   Kind = "reschedule"    // the association asks for another interview time
	KindJobAttention Kind = "job_attention" // a provisioning job needs attention
	KindCheckin      Kind = "checkin"       // a check-in was answered, or went unanswered and flagged its case
)

// Kinds lists every kind, in the order the preferences page shows them.
var Kinds = []Kind{KindNewRequest, KindInfoAnswered, KindWithdrawn, KindReschedule, KindJobAttention, KindCheckin}

// Delivery is how an account hears of a kind of event.
type Delivery string

// The deliveries: an e-mail at once, a line in the daily digest, nothing.
const (
	DeliverNow    Delivery = "now"
	DeliverDigest Delivery = "digest"
	DeliverOff    Delivery = "off"
)

// Deliveries lists every delivery, in the order the preferences page shows them.
var Deliveries = []Delivery{DeliverNow, DeliverDigest, DeliverOff}

func validKind(k Kind) bool { return slices.Contains(Kinds, k) }

func validDelivery(d Delivery) bool { return slices.Contains(Deliveries, d) }

// Preferences says how an account hears of each kind; a kind missing is DeliverNow.
type Preferences map[Kind]Delivery

// Of returns the delivery chosen for k.
func (p Preferences) Of(k Kind) Delivery {
	if d, ok := p[k]; ok {
		return d
	}
	return DeliverNow
}

// Preferences returns how u hears of each kind.
func (s *Store) Preferences(ctx context.Context, u *User) (Preferences, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, delivery FROM staff_notify_prefs WHERE user_id = $1`, u.ID)
	if err != nil {
		return nil, database.MapError(err, "accounts: preferences")
	}
	defer rows.Close()
	p := Preferences{}
	for rows.Next() {
		var k Kind
		var d Delivery
		if err := rows.Scan(&k, &d); err != nil {
			return nil, database.MapError(err, "accounts: preferences")
		}
		p[k] = d
	}
	return p, database.MapError(rows.Err(), "accounts: preferences")
}

// PreferencesForm is the preferences page as posted: the language of the
// account's e-mails and pages, and a delivery per kind.
type PreferencesForm struct {
	Language string
	Delivery map[Kind]Delivery
}

// Languages are the languages an account may choose.
var Languages = []string{"fr", "en"}

// SavePreferences stores u's language and deliveries; an unknown language,
// kind or delivery is invalid.
func (s *Store) SavePreferences(ctx context.Context, u *User, f PreferencesForm) error {
	if f.Language != "fr" && f.Language != "en" {
		return apperr.New(apperr.Invalid, "err.notify.language", "accounts: save preferences")
	}
	for k, d := range f.Delivery {
		if !validKind(k) || !validDelivery(d) {
			return apperr.New(apperr.Invalid, "err.notify.delivery", "accounts: save preferences")
		}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET language = $1, updated_at = $2 WHERE id = $3`, f.Language, s.now(), u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_notify_prefs WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		for _, k := range Kinds {
			d, ok := f.Delivery[k]
			if !ok || d == DeliverNow {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO staff_notify_prefs (user_id, kind, delivery) VALUES ($1, $2, $3)`, u.ID, k, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return database.MapError(err, "accounts: save preferences")
	}
	u.Language = f.Language
	return nil
}

// Notice is one event to tell staff about.
type Notice struct {
	Kind Kind
	// HostID is the host whose staff are told; empty for the shared queue,
	// whose requests administrators handle.
	HostID string
	// Trainers, when any of them is active, are told instead of the host's
	// staff (a case's trainers, for its check-ins).
	Trainers []string
	// Contact is the host's contact address, told at once besides the
	// accounts (it has no preferences); empty for none.
	Contact, ContactName, ContactLanguage string
	RequestID                             string // the request concerned, if any
	Name                                  string // the association's name
	Link                                  string // the staff page to open, an absolute URL
	// Template is the e-mail sent at once (default "staff_notice", given
	// Kind, Key (the messages' key, Kind unless Data sets it), Name, Link,
	// Preferences and Data's entries); Data is its extra data.
	Template string
	Data     map[string]any
}

// recipient is an account (or the host's contact) to tell, and how.
type recipient struct {
	userID, email, name, lang string
	delivery                  Delivery
}

// Notifier tells staff about events, inside the transaction of the change
// that causes them: an e-mail queued in the outbox in the recipient's
// language, or a line kept for the recipient's daily digest.
type Notifier struct {
	Store   *Store
	Postman *mail.Postman
	BaseURL string // for the digest's link to the preferences page
}

// Notify tells n's recipients inside tx, each as their preferences say:
// the case's trainers if any, else the host's staff, else (for the shared
// queue, or a host without staff) the administrators; and the host's
// contact address when given. A nil Notifier tells nobody.
func (nt *Notifier) Notify(ctx context.Context, tx *sql.Tx, n Notice) error {
	if nt == nil || nt.Postman == nil {
		return nil
	}
	to, err := nt.recipients(ctx, tx, n)
	if err != nil {
		return err
	}
	template := n.Template
	if template == "" {
		template = "staff_notice"
	}
	now := nt.Store.now()
	for _, r := range to {
		switch r.delivery {
		case DeliverOff:
			continue
		case DeliverDigest:
			var request any
			if n.RequestID != "" {
				request = n.RequestID
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO staff_digest_items (id, user_id, kind, application_id, name, link, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, uuid.NewString(), r.userID, n.Kind, request, n.Name, n.Link, now)
			if err != nil {
				return database.MapError(err, "accounts: digest")
			}
			continue
		}
		data := map[string]any{"Kind": string(n.Kind), "Key": string(n.Kind), "Name": n.Name, "Link": n.Link, "Preferences": nt.preferencesURL()}
		for k, v := range n.Data {
			data[k] = v
		}
		if r.userID == "" {
			data["Preferences"] = ""
		}
		err := nt.Postman.Enqueue(ctx, tx, mail.Letter{Lang: r.lang, Template: template, To: r.email, ToName: r.name,
			RequestID: n.RequestID, Data: data})
		if err != nil {
			return fmt.Errorf("accounts: notify %s: %w", n.Kind, err)
		}
	}
	return nil
}

func (nt *Notifier) preferencesURL() string {
	return strings.TrimRight(nt.BaseURL, "/") + "/staff/notifications"
}

// recipients lists who hears of n and how, each address once.
func (nt *Notifier) recipients(ctx context.Context, tx *sql.Tx, n Notice) ([]recipient, error) {
	var to []recipient
	var err error
	if len(n.Trainers) > 0 {
		to, err = nt.accounts(ctx, tx, n.Kind, `u.id IN (`+database.Placeholders(2, len(n.Trainers))+`)`, toAny(n.Trainers)...)
	}
	if err == nil && len(to) == 0 && n.HostID != "" {
		to, err = nt.accounts(ctx, tx, n.Kind, `u.host_id = $2 AND u.role = 'staff'`, n.HostID)
	}
	if err == nil && len(to) == 0 {
		to, err = nt.accounts(ctx, tx, n.Kind, `u.role = 'admin'`)
	}
	if err != nil {
		return nil, database.MapError(err, "accounts: recipients")
	}
	if n.Contact != "" {
		lang := n.ContactLanguage
		if lang != "en" {
			lang = "fr"
		}
		to = append(to, recipient{email: n.Contact, name: n.ContactName, lang: lang, delivery: DeliverNow})
	}
	seen := map[string]bool{}
	out := to[:0]
	for _, r := range to {
		key := strings.ToLower(r.email)
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// accounts lists the active accounts matching where ($2… are args) with
// their delivery for kind; $1 is the kind.
func (nt *Notifier) accounts(ctx context.Context, tx *sql.Tx, kind Kind, where string, args ...any) ([]recipient, error) {
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, u.name, u.language, COALESCE(p.delivery, 'now')
		FROM staff_users u LEFT JOIN staff_notify_prefs p ON p.user_id = u.id AND p.kind = $1
		WHERE u.active = TRUE AND `+where+` ORDER BY u.email`, append([]any{kind}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.userID, &r.email, &r.name, &r.lang, &r.delivery); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DigestItem is one event waiting for a digest.
type DigestItem struct {
	Kind      Kind
	Name      string
	Link      string
	CreatedAt time.Time
}

// SendDigests e-mails each account with events waiting its digest: one
// e-mail listing them, in its language, queued in the transaction that
// removes them (so a digest never repeats an event); it returns how many
// digests it queued.
func (nt *Notifier) SendDigests(ctx context.Context) (int, error) {
	rows, err := nt.Store.db.QueryContext(ctx, `SELECT DISTINCT user_id FROM staff_digest_items`)
	if err != nil {
		return 0, database.MapError(err, "accounts: digests")
	}
	var users []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, database.MapError(err, "accounts: digests")
		}
		users = append(users, id)
	}
	rows.Close()
	sent := 0
	var errs []error
	for _, id := range users {
		ok, err := nt.sendDigest(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			sent++
		}
	}
	if sent > 0 {
		nt.Postman.Wake()
	}
	return sent, errors.Join(errs...)
}

func (nt *Notifier) sendDigest(ctx context.Context, userID string) (bool, error) {
	sent := false
	err := nt.Store.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE id = $1`, userID))
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM staff_digest_items WHERE user_id = $1 RETURNING kind, name, link, created_at`, userID)
		if err != nil {
			return err
		}
		var items []DigestItem
		for rows.Next() {
			var it DigestItem
			if err := rows.Scan(&it.Kind, &it.Name, &it.Link, &it.CreatedAt); err != nil {
				rows.Close()
				return err
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(items) == 0 || !u.Active {
			return nil
		}
		// Grouped by kind in the preferences' order, oldest first within.
		sort.SliceStable(items, func(i, j int) bool { return items[i].CreatedAt.Before(items[j].CreatedAt) })
		var ordered []DigestItem
		for _, k := range Kinds {
			for _, it := range items {
				if it.Kind == k {
					ordered = append(ordered, it)
				}
			}
		}
		sent = true
		return nt.Postman.Enqueue(ctx, tx, mail.Letter{Lang: u.Language, Template: "staff_digest", To: u.Email, ToName: u.Name,
			Data: map[string]any{"Items": ordered, "Count": len(ordered), "Preferences": nt.preferencesURL()}})
	})
	return sent, database.MapError(err, "accounts: digest")
}
