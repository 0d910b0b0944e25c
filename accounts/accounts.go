// Package accounts is who may use the staff pages: administrators of the
// archipelago, staff and trainers of one host; their sessions, invitations,
// password resets, login throttling, and the audit log of their actions.
package accounts

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"archipel/apperr"
	"archipel/database"
	"archipel/privlink"
)

// Role is what a staff account may do.
type Role string

// The roles: an administrator sees every host; staff and trainers see one.
const (
	RoleAdmin   Role = "admin"
	RoleStaff   Role = "staff"
	RoleTrainer Role = "trainer"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleStaff, RoleTrainer}

// ParseRole checks a role name.
func ParseRole(s string) (Role, bool) {
	for _, r := range Roles {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// User is a staff account.
type User struct {
	ID          string
	Email       string
	Name        string
	Role        Role
	HostID      string // empty for administrators
	Language    string
	Active      bool
	HasPassword bool
	CreatedAt   time.Time
	LastLoginAt time.Time
}

// Admin reports whether the user administers the whole archipelago.
func (u *User) Admin() bool { return u.Role == RoleAdmin }

// CanSeeHost reports whether the user may see a host's requests and cases.
func (u *User) CanSeeHost(hostID string) bool {
	return u.Admin() || (hostID != "" && u.HostID == hostID)
}

// Session and link lifetimes.
const (
	SessionIdle     = 12 * time.Hour
	SessionMax      = 7 * 24 * time.Hour
	InviteLifetime  = 7 * 24 * time.Hour
	ResetLifetime   = time.Hour
	throttleWindow  = 15 * time.Minute
	maxFailsAccount = 5
	maxFailsAddress = 20
)

// Token purposes.
const (
	PurposeInvite = "invite"
	PurposeReset  = "reset"
)

// Store keeps staff accounts, sessions and one-time links.
type Store struct {
	db   *database.DB
	now  func() time.Time
	gate *Gate
}

// NewStore returns a Store; now may be nil.
func NewStore(db *database.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: func() time.Time { return now().UTC() },
		gate: NewGate(DefaultPasswordChecks, DefaultPasswordWaiting, DefaultPasswordWait)}
}

// SetGate replaces the gate bounding password hashes (its size comes from
// the configuration; tests watch it).
func (s *Store) SetGate(g *Gate) { s.gate = g }

// Gate returns the gate bounding password hashes.
func (s *Store) Gate() *Gate { return s.gate }

const userColumns = `id, email, name, role, COALESCE(host_id, ''), language, active, password_hash <> '', created_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var last sql.NullTime
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.HostID, &u.Language, &u.Active, &u.HasPassword, &u.CreatedAt, &last); err != nil {
		return nil, err
	}
	u.LastLoginAt = last.Time
	return &u, nil
}

// NewUser describes an account to create.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	HostID   string
	Language string
}

// Validate checks a new account: administrators belong to no host, the
// others to one.
func (n *NewUser) Validate() map[string]string {
	errs := map[string]string{}
	n.Email = strings.TrimSpace(n.Email)
	at := strings.LastIndexByte(n.Email, '@')
	if at < 1 || !strings.Contains(n.Email[at:], ".") || len(n.Email) > 254 || strings.ContainsAny(n.Email, " <>\"") || HasControl(n.Email) {
		errs["email"] = "err.contact_email.invalid"
	} else {
		n.Email = n.Email[:at] + strings.ToLower(n.Email[at:])
	}
	if _, ok := ParseRole(string(n.Role)); !ok {
		errs["role"] = "err.choice"
	}
	if n.Role == RoleAdmin {
		n.HostID = ""
	} else if n.HostID == "" {
		errs["host"] = "err.staff.host_required"
	}
	n.Name = strings.TrimSpace(n.Name)
	switch {
	case len(n.Name) > 200:
		errs["name"] = "err.too_long"
	case HasControl(n.Name):
		errs["name"] = "err.control_chars"
	}
	if n.Language != "en" {
		n.Language = "fr"
	}
	return errs
}

// Create adds an account without password; Invite or SetPassword gives it
// one. An address already used is a conflict. then (the audit line of the
// command line that creates it) commits in the same transaction.
func (s *Store) Create(ctx context.Context, n NewUser, then ...database.Then) (*User, error) {
	var u *User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = s.create(ctx, tx, n); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Store) create(ctx context.Context, tx *sql.Tx, n NewUser) (*User, error) {
	if errs := n.Validate(); len(errs) > 0 {
		return nil, apperr.New(apperr.Invalid, "err.staff.invalid", "accounts: create")
	}
	now := s.now()
	u := &User{ID: uuid.NewString(), Email: n.Email, Name: n.Name, Role: n.Role, HostID: n.HostID, Language: n.Language, Active: true, CreatedAt: now}
	host := sql.NullString{String: n.HostID, Valid: n.HostID != ""}
	_, err := tx.ExecContext(ctx, `INSERT INTO staff_users (id, email, name, role, host_id, language, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, u.ID, strings.ToLower(u.Email), u.Name, u.Role, host, u.Language, now)
	if database.IsUniqueViolation(err) {
		return nil, apperr.Wrap(apperr.Conflict, "err.staff.exists", "accounts: create", err)
	}
	return u, database.MapError(err, "accounts: create")
}

// LinkMail queues the e-mail that carries a new one-time link to u, inside
// the transaction that stores the link: the link and its e-mail commit
// together or not at all.
type LinkMail func(tx *sql.Tx, u *User, token string) error

// Invite adds an account without password (as Create, with its errors),
// its invitation link, the invitation e-mail (send) and then (the audit
// line) in one transaction.
func (s *Store) Invite(ctx context.Context, n NewUser, send LinkMail, then ...func(*User) database.Then) (*User, error) {
	var u *User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = s.create(ctx, tx, n); err != nil {
			return err
		}
		return s.sendLink(ctx, tx, u, PurposeInvite, send, then)
	})
	if err != nil {
		return nil, database.MapError(err, "accounts: invite")
	}
	return u, nil
}

// Get returns an account by id.
func (s *Store) Get(ctx context.Context, id string) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE id = $1`, id))
	return u, database.MapError(err, "accounts: get")
}

// ByEmail returns an account by address (case-insensitive).
func (s *Store) ByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE email = $1`, strings.ToLower(strings.TrimSpace(email))))
	return u, database.MapError(err, "accounts: by email")
}

// List returns the accounts a user may see: all for an administrator, its
// host's otherwise.
func (s *Store) List(ctx context.Context, viewer *User) ([]User, error) {
	q := `SELECT ` + userColumns + ` FROM staff_users WHERE ($1 = '' OR host_id = $1) ORDER BY email`
	hostFilter := ""
	if !viewer.Admin() {
		hostFilter = viewer.HostID
	}
	rows, err := s.db.QueryContext(ctx, q, hostFilter)
	if err != nil {
		return nil, database.MapError(err, "accounts: list")
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, database.MapError(err, "accounts: list")
		}
		out = append(out, *u)
	}
	return out, database.MapError(rows.Err(), "accounts: list")
}

// SetActive enables or disables an account on behalf of actor (an
// administrator); disabling ends its sessions. then (the audit line)
// commits in the same transaction: all of it or nothing. Not found for
// anyone but an administrator, or an unknown account.
func (s *Store) SetActive(ctx context.Context, actor *User, id string, active bool, then ...database.Then) error {
	if actor == nil || !actor.Admin() {
		return apperr.New(apperr.NotFound, "error.not_found", "accounts: set active")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff_users SET active = $1, updated_at = $2 WHERE id = $3`, active, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found", "accounts: set active")
		}
		if !active {
			if _, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, "accounts: set active")
}

// SetPassword gives an account a new password, ends its sessions and
// voids every invitation or reset link it still has.
func (s *Store) SetPassword(ctx context.Context, u *User, password string) error {
	hash, err := s.hash(ctx, u, password)
	if err != nil {
		return err
	}
	return database.MapError(s.db.Tx(ctx, func(tx *sql.Tx) error { return s.setPassword(ctx, tx, u, hash) }), "accounts: set password")
}

// hash checks a new password and hashes it through the gate.
func (s *Store) hash(ctx context.Context, u *User, password string) (string, error) {
	if key := ValidatePassword(password, u.Email); key != "" {
		return "", apperr.New(apperr.Invalid, key, "accounts: set password")
	}
	var hash string
	var herr error
	if err := s.gate.Do(ctx, func() { hash, herr = HashPassword(password) }); err != nil {
		return "", err
	}
	return hash, herr
}

func (s *Store) setPassword(ctx context.Context, tx *sql.Tx, u *User, hash string) error {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, now, u.ID); err != nil {
		return err
	}
	// A reset proves the address again: any other link sent to it, perhaps
	// to an address that was leaked, stops working.
	if _, err := tx.ExecContext(ctx, `UPDATE staff_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL AND purpose IN ($3, $4)`,
		now, u.ID, PurposeInvite, PurposeReset); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE user_id = $1`, u.ID)
	return err
}

// NewLink creates a one-time link (invitation or reset) for an account and
// returns its token; only its hash is stored. The command line prints it;
// the pages use SendLink, which e-mails it.
func (s *Store) NewLink(ctx context.Context, u *User, purpose string) (string, error) {
	var token string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		token, err = s.newLink(ctx, tx, u, purpose)
		return err
	})
	return token, database.MapError(err, "accounts: new link")
}

// SendLink creates a one-time link (invitation or reset) for an account
// and queues the e-mail carrying it (send) and then (the audit line) in
// the same transaction.
func (s *Store) SendLink(ctx context.Context, u *User, purpose string, send LinkMail, then ...database.Then) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		fns := make([]func(*User) database.Then, len(then))
		for i, fn := range then {
			fns[i] = func(*User) database.Then { return fn }
		}
		return s.sendLink(ctx, tx, u, purpose, send, fns)
	})
	return database.MapError(err, "accounts: send link")
}

func (s *Store) sendLink(ctx context.Context, tx *sql.Tx, u *User, purpose string, send LinkMail, then []func(*User) database.Then) error {
	token, err := s.newLink(ctx, tx, u, purpose)
	if err != nil {
		return err
	}
	if err := send(tx, u, token); err != nil {
		return err
	}
	for _, fn := range then {
		if err := database.RunThen(tx, []database.Then{fn(u)}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) newLink(ctx context.Context, tx *sql.Tx, u *User, purpose string) (string, error) {
	life := ResetLifetime
	if purpose == PurposeInvite {
		life = InviteLifetime
	}
	token, hash := privlink.New()
	now := s.now()
	_, err := tx.ExecContext(ctx, `INSERT INTO staff_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		hash, u.ID, purpose, now, now.Add(life))
	return token, err
}

// LinkUser returns the account a valid, unused link of that purpose opens.
func (s *Store) LinkUser(ctx context.Context, token, purpose string) (*User, error) {
	var userID string
	err := s.db.QueryRowContext(ctx, `SELECT user_id FROM staff_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
		privlink.Hash(token), purpose, s.now()).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "err.staff.link_invalid", "accounts: link")
	}
	if err != nil {
		return nil, database.MapError(err, "accounts: link")
	}
	return s.Get(ctx, userID)
}

// UseLink sets the password through a link, which then stops working, as
// do the account's other links; the name, when given, is the account's.
// Not found (err.staff.link_invalid) for a link unknown, used or expired.
func (s *Store) UseLink(ctx context.Context, token, purpose, password, name string) (*User, error) {
	u, err := s.LinkUser(ctx, token, purpose)
	if err != nil {
		return nil, err
	}
	if name = strings.TrimSpace(name); name != "" {
		if len(name) > 200 {
			return nil, apperr.New(apperr.Invalid, "err.too_long", "accounts: use link")
		}
		if HasControl(name) {
			return nil, apperr.New(apperr.Invalid, "err.control_chars", "accounts: use link")
		}
	}
	hash, err := s.hash(ctx, u, password)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1`, s.now(), privlink.Hash(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "err.staff.link_invalid", "accounts: use link")
		}
		if name != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET name = $1 WHERE id = $2`, name, u.ID); err != nil {
				return err
			}
		}
		if err := s.setPassword(ctx, tx, u, hash); err != nil {
			return err
		}
		// The audit line commits with the new password.
		return s.RecordIn(ctx, u, ActionPasswordSet, u.HostID, "", purpose)(tx)
	})
	if err != nil {
		return nil, database.MapError(err, "accounts: use link")
	}
	if name != "" {
		u.Name = name
	}
	return u, nil
}

// HasControl reports whether a single-line value holds a control character
// (a tab, a line break, …): such a value would break the e-mail headers and
// the lines it is written into.
func HasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) >= 0
}
