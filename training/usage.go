package training

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"archipel/database"
	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
)

// Reading is what a host's Nextcloud said of a workspace's use at one
// moment. A reading that failed (the host did not answer) keeps its error
// and no values: the page then shows the last good one with its date.
type Reading struct {
	ID          int64
	CaseID      string
	TakenAt     time.Time
	OK          bool
	Accounts    int       // members of the association's group
	LastLoginAt time.Time // the latest login of any of them; zero if none ever logged in
	UsedBytes   int64
	QuotaBytes  int64 // 0 when unlimited or unknown
	Error       string
}

// Percent is the share of the quota in use, -1 without a quota.
func (r Reading) Percent() int {
	if r.QuotaBytes <= 0 {
		return -1
	}
	return int(r.UsedBytes * 100 / r.QuotaBytes)
}

// UsedMB and QuotaMB are the sizes in megabytes, for display.
func (r Reading) UsedMB() int64  { return r.UsedBytes / (1 << 20) }
func (r Reading) QuotaMB() int64 { return r.QuotaBytes / (1 << 20) }

// UsageView is what the case page shows of usage: the latest good reading,
// the good one before it (the trend), and whether the latest attempt failed.
type UsageView struct {
	Current  *Reading // latest successful reading
	Previous *Reading // the successful reading before Current
	Failed   *Reading // the latest reading, when it failed after Current
}

// AccountsDelta is the change in accounts since the previous reading.
func (v UsageView) AccountsDelta() int {
	if v.Current == nil || v.Previous == nil {
		return 0
	}
	return v.Current.Accounts - v.Previous.Accounts
}

// UsedDeltaMB is the change in storage since the previous reading, in MB.
func (v UsageView) UsedDeltaMB() int64 {
	if v.Current == nil || v.Previous == nil {
		return 0
	}
	return (v.Current.UsedBytes - v.Previous.UsedBytes) / (1 << 20)
}

// NewLogin reports whether someone logged in since the previous reading.
func (v UsageView) NewLogin() bool {
	return v.Current != nil && v.Previous != nil && v.Current.LastLoginAt.After(v.Previous.LastLoginAt)
}

const readingColumns = `id, case_id, taken_at, ok, accounts, last_login_at, used_bytes, quota_bytes, error`

func scanReading(row interface{ Scan(...any) error }) (*Reading, error) {
	var r Reading
	var last sql.NullTime
	if err := row.Scan(&r.ID, &r.CaseID, &r.TakenAt, &r.OK, &r.Accounts, &last, &r.UsedBytes, &r.QuotaBytes, &r.Error); err != nil {
		return nil, err
	}
	r.LastLoginAt = last.Time
	return &r, nil
}

// Usage returns a case's usage as its page shows it.
func (s *Store) Usage(ctx context.Context, caseID string) (UsageView, error) {
	var v UsageView
	rows, err := s.db.QueryContext(ctx, `SELECT `+readingColumns+` FROM usage_readings WHERE case_id = $1 AND ok = TRUE
		ORDER BY taken_at DESC, id DESC LIMIT 2`, caseID)
	if err != nil {
		return v, database.MapError(err, "training: usage")
	}
	var good []*Reading
	for rows.Next() {
		r, err := scanReading(rows)
		if err != nil {
			rows.Close()
			return v, database.MapError(err, "training: usage")
		}
		good = append(good, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, database.MapError(err, "training: usage")
	}
	if len(good) > 0 {
		v.Current = good[0]
	}
	if len(good) > 1 {
		v.Previous = good[1]
	}
	last, err := scanReading(s.db.QueryRowContext(ctx, `SELECT `+readingColumns+` FROM usage_readings WHERE case_id = $1
		ORDER BY taken_at DESC, id DESC LIMIT 1`, caseID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return v, database.MapError(err, "training: usage")
	case !last.OK:
		v.Failed = last
	}
	return v, nil
}

func (s *Store) addReading(ctx context.Context, r *Reading) error {
	var last any
	if !r.LastLoginAt.IsZero() {
		last = r.LastLoginAt.UTC()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO usage_readings (case_id, taken_at, ok, accounts, last_login_at, used_bytes, quota_bytes, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.CaseID, r.TakenAt.UTC(), r.OK, r.Accounts, last, r.UsedBytes, r.QuotaBytes, r.Error)
	return database.MapError(err, "training: add reading")
}

// usageFlags raises or lifts the usage flags of a case after a good reading.
func (s *Store) usageFlags(ctx context.Context, ref workspaceRef, r *Reading) error {
	age := r.TakenAt.Sub(ref.OpenedAt)
	neverSinceOpening := r.LastLoginAt.IsZero() || r.LastLoginAt.Before(ref.OpenedAt)
	quiet := r.LastLoginAt
	if quiet.IsZero() || quiet.Before(ref.OpenedAt) {
		quiet = ref.OpenedAt
	}
	for f, on := range map[Flag]bool{
		FlagNoLogin7d:  age >= 7*day && neverSinceOpening,
		FlagNoLogin30d: r.TakenAt.Sub(quiet) >= 30*day,
		FlagStorage90:  r.QuotaBytes > 0 && r.UsedBytes*10 >= r.QuotaBytes*9,
	} {
		if err := s.setFlag(ctx, ref.CaseID, f, on); err != nil {
			return err
		}
	}
	return nil
}

// workspaceRef is what reading a case's usage needs of its workspace.
type workspaceRef struct {
	CaseID    string
	HostID    string
	GroupID   string
	AccountID string
	Folder    string
	OpenedAt  time.Time
}

// workspaceRefs returns the workspaces of open cases (one case when caseID
// is not empty), by host.
func (s *Store) workspaceRefs(ctx context.Context, caseID string) ([]workspaceRef, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.host_id, w.group_id, w.account_id, w.folder, c.opened_at
		FROM cases c JOIN workspaces w ON w.application_id = c.application_id
		WHERE c.closed_at IS NULL AND ($1 = '' OR c.id = $1) ORDER BY c.host_id, c.opened_at`, caseID)
	if err != nil {
		return nil, database.MapError(err, "training: workspaces")
	}
	defer rows.Close()
	var out []workspaceRef
	for rows.Next() {
		var w workspaceRef
		if err := rows.Scan(&w.CaseID, &w.HostID, &w.GroupID, &w.AccountID, &w.Folder, &w.OpenedAt); err != nil {
			return nil, database.MapError(err, "training: workspaces")
		}
		out = append(out, w)
	}
	return out, database.MapError(rows.Err(), "training: workspaces")
}

// UsageReader reads usage signals from the hosts' Nextcloud.
type UsageReader struct {
	store  *Store
	hosts  *provisioning.Hosts
	logger *slog.Logger
	// Timeout bounds the reading of one host (all its workspaces).
	Timeout time.Duration
}

// NewUsageReader returns a reader; logger may be nil.
func NewUsageReader(store *Store, hosts *provisioning.Hosts, logger *slog.Logger) *UsageReader {
	if logger == nil {
		logger = slog.Default()
	}
	return &UsageReader{store: store, hosts: hosts, logger: logger, Timeout: 2 * time.Minute}
}

// ReadAll reads every open case's usage, host by host; a host that does not
// answer leaves failed readings (its cases keep their last known values).
// It is the daily task's body: run it once a day across replicas.
func (u *UsageReader) ReadAll(ctx context.Context) error {
	refs, err := u.store.workspaceRefs(ctx, "")
	if err != nil {
		return err
	}
	_, err = u.read(ctx, refs)
	return err
}

// ReadCase reads one open case's usage now and returns the reading, failed
// or not; NotFound when the case is closed or has no workspace.
func (u *UsageReader) ReadCase(ctx context.Context, caseID string) (*Reading, error) {
	refs, err := u.store.workspaceRefs(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, database.MapError(sql.ErrNoRows, "training: read case usage")
	}
	out, err := u.read(ctx, refs)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// read takes a reading of every workspace, grouped by host (refs are
// sorted by host), and stores them; only storage errors are returned.
func (u *UsageReader) read(ctx context.Context, refs []workspaceRef) ([]*Reading, error) {
	var out []*Reading
	for i := 0; i < len(refs); {
		j := i
		for j < len(refs) && refs[j].HostID == refs[i].HostID {
			j++
		}
		readings := u.readHost(ctx, refs[i].HostID, refs[i:j])
		for k, r := range readings {
			if err := u.store.addReading(ctx, r); err != nil {
				return out, err
			}
			if r.OK {
				if err := u.store.usageFlags(ctx, refs[i+k], r); err != nil {
					return out, err
				}
			}
			out = append(out, r)
		}
		i = j
	}
	return out, nil
}

// readHost asks one host about its workspaces; every reading is returned,
// failed ones with their error.
func (u *UsageReader) readHost(ctx context.Context, hostID string, refs []workspaceRef) []*Reading {
	ctx, cancel := context.WithTimeout(ctx, u.Timeout)
	defer cancel()
	failAll := func(err error) []*Reading {
		u.logger.Warn("usage: host did not answer", slog.String("host", hostID), slog.Any("err", err))
		out := make([]*Reading, len(refs))
		for i, ref := range refs {
			out[i] = &Reading{CaseID: ref.CaseID, TakenAt: u.store.now(), Error: clip(err.Error(), 500)}
		}
		return out
	}
	h, err := u.hosts.Get(ctx, hostID)
	if err != nil {
		return failAll(err)
	}
	client, err := u.hosts.Client(ctx, h)
	if err != nil {
		return failAll(err)
	}
	folders, err := client.GroupFolders(ctx)
	if err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
		return failAll(err)
	}
	out := make([]*Reading, len(refs))
	for i, ref := range refs {
		r, err := readWorkspace(ctx, client, folders, ref)
		if err != nil {
			u.logger.Warn("usage: reading failed", slog.String("host", hostID), slog.String("case", ref.CaseID), slog.Any("err", err))
			r = &Reading{Error: clip(err.Error(), 500)}
		}
		r.CaseID, r.TakenAt = ref.CaseID, u.store.now()
		out[i] = r
	}
	return out
}

// readWorkspace reads one workspace: its group's members and their last
// login, and its storage, from the group folder when there is one, else from
// the association's account (whose quota holds the shared folder).
func readWorkspace(ctx context.Context, c *nextcloud.Client, folders []nextcloud.GroupFolder, ref workspaceRef) (*Reading, error) {
	r := &Reading{OK: true}
	members, err := c.GroupMembers(ctx, ref.GroupID)
	if err != nil {
		return nil, fmt.Errorf("group %q: %w", ref.GroupID, err)
	}
	r.Accounts = len(members)
	var account *nextcloud.User
	for _, m := range members {
		nu, err := c.GetUser(ctx, m)
		if errors.Is(err, nextcloud.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", m, err)
		}
		if nu.LastLogin.After(r.LastLoginAt) {
			r.LastLoginAt = nu.LastLogin
		}
		if strings.EqualFold(nu.ID, ref.AccountID) {
			account = &nu
		}
	}
	for _, f := range folders {
		if _, ok := f.Groups[ref.GroupID]; ok && f.MountPoint == ref.Folder {
			r.UsedBytes = f.Size
			if f.Quota > 0 {
				r.QuotaBytes = f.Quota
			}
			return r, nil
		}
	}
	if account == nil && ref.AccountID != "" {
		nu, err := c.GetUser(ctx, ref.AccountID)
		if err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
			return nil, fmt.Errorf("user %q: %w", ref.AccountID, err)
		}
		if err == nil {
			account = &nu
		}
	}
	if account != nil {
		r.UsedBytes, r.QuotaBytes = account.Quota.Used, account.Quota.Limit
	}
	return r, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
