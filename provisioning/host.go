package provisioning

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/provisioning/nextcloud"
)

// Host is a partner host as provisioning sees it: where its Nextcloud is,
// how to reach it, and what a new workspace looks like there.
type Host struct {
	ID             string
	Slug           string
	Name           string
	Website        string
	ContactEmail   string
	HelpURL        string
	NextcloudURL   string
	NextcloudUser  string
	FolderTemplate []string
	WelcomeFR      string
	WelcomeEN      string
	DefaultQuotaGB int
	DefaultAccount int
	// DefaultAccountQuotaGB is each new account's personal quota.
	DefaultAccountQuotaGB int
	// RequestsPerSecond and JobsAtOnce pace provisioning on this host; 0
	// takes the service's defaults.
	RequestsPerSecond float64
	JobsAtOnce        int
	// Credential says what the stored secret is: an app password or the
	// login password of a dedicated provisioning account.
	Credential Credential
	hasSecret  bool
}

// DefaultFolderTemplate is the folder tree of a host that set none.
var DefaultFolderTemplate = []string{"Administratif", "Comptabilité", "Communication", "Assemblées générales", "Projets", "Ressources"}

// Hosts reads and writes hosts' Nextcloud connections; app passwords are
// stored sealed by the keyring.
type Hosts struct {
	db      *database.DB
	keyring *Keyring
	// rps is the request rate of hosts that set none, shared by every job
	// of every replica on that host (see pacing.go).
	rps float64
	// Transport lets tests and the demo reach hosts through another transport.
	Transport http.RoundTripper
	// Observe, when set, wraps each host's transport (metrics count and time
	// every request under the host's slug).
	Observe   func(hostSlug string, next http.RoundTripper) http.RoundTripper
	UserAgent string
	// Now is the clock of the hosts' login sessions (time.Now when nil).
	Now func() time.Time

	sessionsMu sync.Mutex
	sessions   map[string]*hostSession // host id → its login session
}

// NewHosts returns the host store; rps bounds requests per second per host.
func NewHosts(db *database.DB, keyring *Keyring, rps float64) *Hosts {
	if rps <= 0 {
		rps = 10
	}
	return &Hosts{db: db, keyring: keyring, rps: rps}
}

// Get returns a host by id.
func (hs *Hosts) Get(ctx context.Context, id string) (*Host, error) {
	var h Host
	var tmpl string
	var secret []byte
	err := hs.db.QueryRowContext(ctx, `SELECT id, slug, name, website, contact_email, help_url, nextcloud_url, nextcloud_user,
		folder_template, welcome_fr, welcome_en, default_quota_gb, default_accounts, nextcloud_secret,
		default_account_quota_gb, requests_per_second, jobs_at_once, nextcloud_credential
		FROM hosts WHERE id = $1`, id).Scan(&h.ID, &h.Slug, &h.Name, &h.Website, &h.ContactEmail, &h.HelpURL,
		&h.NextcloudURL, &h.NextcloudUser, &tmpl, &h.WelcomeFR, &h.WelcomeEN, &h.DefaultQuotaGB, &h.DefaultAccount, &secret,
		&h.DefaultAccountQuotaGB, &h.RequestsPerSecond, &h.JobsAtOnce, &h.Credential)
	if err != nil {
		return nil, database.MapError(err, "provisioning: get host")
	}
	for _, line := range strings.Split(tmpl, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			h.FolderTemplate = append(h.FolderTemplate, line)
		}
	}
	if len(h.FolderTemplate) == 0 {
		h.FolderTemplate = DefaultFolderTemplate
	}
	h.hasSecret = len(secret) > 0
	return &h, nil
}

// SetConnection stores a host's Nextcloud URL, provisioning account and its
// secret, an app password or a login password as kind says (sealed; it is
// never shown or logged again), on behalf of actor (an administrator; not
// found for anyone else). then (the audit line) commits in the same
// transaction.
func (hs *Hosts) SetConnection(ctx context.Context, actor *accounts.User, hostID, url, user, secret string, kind Credential, then ...database.Then) error {
	if actor == nil || !actor.Admin() {
		return apperr.New(apperr.NotFound, "error.not_found", "provisioning: set connection")
	}
	if hs.keyring == nil {
		return apperr.New(apperr.Unavailable, "prov.error.no_secret_key", "provisioning: set connection")
	}
	if !kind.Valid() {
		return apperr.New(apperr.Invalid, "nc34.err.credential", "provisioning: set connection")
	}
	sealed := hs.keyring.Seal(secret, "host:"+hostID)
	err := hs.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hosts SET nextcloud_url = $1, nextcloud_user = $2, nextcloud_secret = $3, nextcloud_credential = $4, updated_at = $5 WHERE id = $6`,
			strings.TrimRight(url, "/"), user, sealed, string(kind), time.Now().UTC(), hostID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found", "provisioning: set connection")
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, "provisioning: set connection")
}

// Client returns a Nextcloud client for a host, its requests paced by the
// host's rate limit.
func (hs *Hosts) Client(ctx context.Context, h *Host) (*nextcloud.Client, error) {
	if h.NextcloudURL == "" || h.NextcloudUser == "" || !h.hasSecret {
		return nil, apperr.New(apperr.Invalid, "prov.error.not_connected", "provisioning: client")
	}
	if hs.keyring == nil {
		return nil, apperr.New(apperr.Unavailable, "prov.error.no_secret_key", "provisioning: client")
	}
	var sealed []byte
	if err := hs.db.QueryRowContext(ctx, `SELECT nextcloud_secret FROM hosts WHERE id = $1`, h.ID).Scan(&sealed); err != nil {
		return nil, database.MapError(err, "provisioning: client")
	}
	password, err := hs.keyring.Open(sealed, "host:"+h.ID)
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, "prov.error.secret", "provisioning: client", err)
	}
	base := hs.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if hs.Observe != nil {
		base = hs.Observe(h.Slug, base)
	}
	cfg := nextcloud.Config{
		BaseURL: h.NextcloudURL, User: h.NextcloudUser, AppPassword: password, UserAgent: hs.UserAgent,
		HTTPClient: &http.Client{Transport: &pacedTransport{hosts: hs, hostID: h.ID, rps: hs.rpsOf(h), next: base}},
	}
	if h.Credential == CredentialLoginPassword {
		cfg.AppPassword, cfg.LoginPassword = "", password
		cfg.Session = hs.session(h, sealed)
	}
	return nextcloud.New(cfg)
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }

// BySlug returns a host by its slug.
func (hs *Hosts) BySlug(ctx context.Context, slug string) (*Host, error) {
	var id string
	if err := hs.db.QueryRowContext(ctx, `SELECT id FROM hosts WHERE slug = $1`, slug).Scan(&id); err != nil {
		return nil, database.MapError(err, "provisioning: host by slug")
	}
	return hs.Get(ctx, id)
}

// accessGroupFor returns the provisioning account for which the host-wide
// access group was ensured, or "".
func (hs *Hosts) accessGroupFor(ctx context.Context, hostID string) (string, error) {
	var admin string
	err := hs.db.QueryRowContext(ctx, `SELECT access_group_for FROM hosts WHERE id = $1`, hostID).Scan(&admin)
	return admin, database.MapError(err, "provisioning: access group")
}

// setAccessGroupFor records that the access group holds admin ("" forgets).
func (hs *Hosts) setAccessGroupFor(ctx context.Context, hostID, admin string) error {
	_, err := hs.db.ExecContext(ctx, `UPDATE hosts SET access_group_for = $1 WHERE id = $2`, admin, hostID)
	return database.MapError(err, "provisioning: access group")
}
