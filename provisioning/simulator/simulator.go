// Package simulator is an in-memory stand-in for a partner host's Nextcloud
// server, built to behave like the exchanges recorded in
// provisioning/testdata/nextcloud: OCS provisioning (v1 and v2, JSON and
// XML), app passwords, password confirmation and login sessions, brute-force
// protection, group shares, the groupfolders app and per-user WebDAV. One
// Profile per generation of Nextcloud (Profile27, Profile34) says how it
// answers.
//
// It exists so that Archipel's Nextcloud client and the demo can run without a
// real server, and so that tests can inject the failures a real host produces
// (latency, 5xx, 429, hung and dropped connections) deterministically.
package simulator

import (
	"errors"
	"math/rand"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults used when Options leaves a field empty.
const (
	// DefaultAdminUser is the administrator's login when Options.AdminUser is empty.
	DefaultAdminUser = "admin"
	// DefaultAdminPassword is the administrator's password when Options.AdminPassword is empty.
	DefaultAdminPassword = "admin"
	// DefaultVersion is the recorded server's version.php version.
	DefaultVersion = "27.1.0.7"
)

// QuotaUnlimited is the quota value Nextcloud uses for "no limit".
const QuotaUnlimited int64 = -3

// Errors returned by the seeding helpers.
var (
	// ErrExists reports that AddUser or AddGroup found the id taken.
	ErrExists = errors.New("simulator: already exists")
	// ErrNotFound reports that TouchLogin found no such user.
	ErrNotFound = errors.New("simulator: not found")
)

// Options configures a Simulator; the zero value is usable.
type Options struct {
	// AdminUser is the login of the seeded administrator ("admin" when empty).
	AdminUser string
	// AdminPassword is the administrator's password ("admin" when empty).
	AdminPassword string
	// Profile is the generation of Nextcloud to behave like; Profile27()
	// when its Name is empty.
	Profile Profile
	// Version overrides the profile's version.php version reported by
	// status.php and the capabilities.
	Version string
	// DisableGroupFolders behaves as if the groupfolders app were disabled;
	// it is enabled by default, as on the recorded server.
	DisableGroupFolders bool
	// MailEnabled makes mail delivery work: welcome mails are then recorded
	// in State.Mails. When false, sending fails like an unconfigured SMTP
	// server (accounts are still created, resending a welcome mail fails).
	MailEnabled bool
	// BruteForceDelay is the delay after the first failed login from an IP;
	// it doubles with each further failure, capped at 25 s, and applies to
	// every later Basic-auth request from that IP (Nextcloud: 100 ms).
	// Zero disables throttling.
	BruteForceDelay time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Simulator is an http.Handler behaving like the recorded Nextcloud server.
type Simulator struct {
	opts Options
	now  func() time.Time

	mu          sync.Mutex
	users       map[string]*user // keyed by lower-cased id: ids are case-insensitive
	groups      map[string]*group
	tokens      map[string]string // app password → user id
	folders     map[int]*groupFolder
	nextFolder  int
	shares      []*share
	nextShare   int
	mails       []Mail
	maintenance bool
	nextFileID  int64
	nextStorage int
	etagSeq     int64
	failures    map[string]int            // client IP → failed logins
	attempts    map[string][]loginAttempt // client IP → failed logins (blocking brute-force protection)
	sessions    map[string]*loginSession  // session id → PHP session
	userSeq     int
	logins      int // password verifications (Basic login password, session login, confirmation)

	statsMu    sync.Mutex
	calls      int
	routeCalls map[string]int

	faultsMu  sync.Mutex
	faults    Faults
	faultRand *rand.Rand
	ruleHits  []int

	closed    chan struct{}
	closeOnce sync.Once

	services services // calendars, address books, Teams, Deck, Talk (apps.go)
}

// New returns a simulator holding only the administrator, its "admin" group
// and its home folder (the administrator has logged in once, as on the
// recorded server).
func New(opts Options) *Simulator {
	if opts.AdminUser == "" {
		opts.AdminUser = DefaultAdminUser
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = DefaultAdminPassword
	}
	if opts.Profile.Name == "" {
		opts.Profile = Profile27()
	}
	if opts.Version == "" {
		opts.Version = opts.Profile.Version
	}
	if opts.Profile.ConfirmationWindow <= 0 {
		opts.Profile.ConfirmationWindow = confirmationWindow
	}
	if !opts.Profile.HasApp("groupfolders") {
		opts.DisableGroupFolders = true
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Simulator{
		opts:        opts,
		now:         now,
		users:       map[string]*user{},
		groups:      map[string]*group{},
		tokens:      map[string]string{},
		folders:     map[int]*groupFolder{},
		nextFolder:  1,
		nextShare:   1,
		nextFileID:  2,
		nextStorage: 1,
		failures:    map[string]int{},
		attempts:    map[string][]loginAttempt{},
		sessions:    map[string]*loginSession{},
		routeCalls:  map[string]int{},
		faultRand:   rand.New(rand.NewSource(0)),
		closed:      make(chan struct{}),
	}
	admin := s.newUser(opts.AdminUser, opts.AdminPassword)
	s.groups[adminGroup] = newGroup(adminGroup)
	s.groups[adminGroup].members[admin.id] = true
	s.login(admin)
	return s
}

// Close releases every call held by a Hang fault or waiting for latency; from
// then on such faults no longer block. The handler keeps answering.
func (s *Simulator) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// adminGroup is the group whose members are administrators.
const adminGroup = "admin"

// user is an account.
type user struct {
	id          string
	password    string // "" when the account was created without one
	displayName string // "" when never set (the database holds NULL)
	email       string
	quota       int64 // bytes, QuotaUnlimited for "none"/"default"
	language    string
	locale      string
	enabled     bool
	lastLogin   time.Time
	firstLogin  time.Time
	home        *node // nil until the first login
	storageID   int
	props       map[string]string
	seq         int
}

// display returns the display name Nextcloud shows (the id when unset).
func (u *user) display() string {
	if u.displayName != "" {
		return u.displayName
	}
	return u.id
}

// lang returns the user's language ("en" when unset).
func (u *user) lang() string {
	if u.language == "" {
		return "en"
	}
	return u.language
}

// group is a group with its members and subadmins (canonical user ids).
type group struct {
	id          string
	displayName string
	members     map[string]bool
	subadmins   map[string]bool
}

func newGroup(id string) *group {
	return &group{id: id, displayName: id, members: map[string]bool{}, subadmins: map[string]bool{}}
}

// newUser adds an account without any validation.
func (s *Simulator) newUser(id, password string) *user {
	s.userSeq++
	u := &user{id: id, password: password, quota: QuotaUnlimited, enabled: true, props: map[string]string{}, seq: s.userSeq}
	s.users[strings.ToLower(id)] = u
	return u
}

// user finds an account by id, ignoring case like Nextcloud.
func (s *Simulator) user(id string) *user {
	return s.users[strings.ToLower(id)]
}

// isAdmin reports whether u is in the admin group.
func (s *Simulator) isAdmin(u *user) bool {
	g := s.groups[adminGroup]
	return u != nil && g != nil && g.members[u.id]
}

// subadminGroups lists the groups u administers, sorted.
func (s *Simulator) subadminGroups(u *user) []string {
	var out []string
	for _, g := range s.groups {
		if g.subadmins[u.id] {
			out = append(out, g.id)
		}
	}
	sort.Strings(out)
	return out
}

// isSubadmin reports whether u administers at least one group.
func (s *Simulator) isSubadmin(u *user) bool { return len(s.subadminGroups(u)) > 0 }

// isSubadminOf reports whether u administers group gid.
func (s *Simulator) isSubadminOf(u *user, gid string) bool {
	g := s.groups[gid]
	return g != nil && g.subadmins[u.id]
}

// userGroups lists the groups u belongs to, sorted.
func (s *Simulator) userGroups(u *user) []string {
	var out []string
	for _, g := range s.groups {
		if g.members[u.id] {
			out = append(out, g.id)
		}
	}
	sort.Strings(out)
	return out
}

// isUserAccessible reports whether actor, a subadmin, manages target: target
// is no administrator and belongs to a group actor administers.
func (s *Simulator) isUserAccessible(actor, target *user) bool {
	if s.isAdmin(target) {
		return false
	}
	for _, gid := range s.subadminGroups(actor) {
		if s.groups[gid].members[target.id] {
			return true
		}
	}
	return false
}

// canManage reports whether actor may administer target.
func (s *Simulator) canManage(actor, target *user) bool {
	return s.isAdmin(actor) || s.isUserAccessible(actor, target)
}

// sortedUsers returns every account ordered by id, ignoring case.
func (s *Simulator) sortedUsers() []*user {
	out := make([]*user, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return lessFold(out[i].id, out[j].id) })
	return out
}

// sortedGroups returns every group ordered by id.
func (s *Simulator) sortedGroups() []*group {
	out := make([]*group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// lessFold compares like PHP's strcasecmp.
func lessFold(a, b string) bool {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if la != lb {
		return la < lb
	}
	return a < b
}

// searchUsers selects accounts like Nextcloud's database backend: match on
// id, display name or e-mail; ordered by display name with unset names first
// (SQLite sorts NULL first), then id; offset and limit applied in that order;
// the page finally sorted by id. limit < 0 means no limit.
func (s *Simulator) searchUsers(search string, limit, offset int, among func(*user) bool) []*user {
	needle := strings.ToLower(search)
	var hits []*user
	for _, u := range s.users {
		if among != nil && !among(u) {
			continue
		}
		if needle == "" || strings.Contains(strings.ToLower(u.id), needle) ||
			(u.displayName != "" && strings.Contains(strings.ToLower(u.displayName), needle)) ||
			(u.email != "" && strings.Contains(strings.ToLower(u.email), needle)) {
			hits = append(hits, u)
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if (a.displayName == "") != (b.displayName == "") {
			return a.displayName == ""
		}
		if da, db := strings.ToLower(a.displayName), strings.ToLower(b.displayName); da != db {
			return da < db
		}
		return strings.ToLower(a.id) < strings.ToLower(b.id)
	})
	hits = page(hits, limit, offset)
	sort.Slice(hits, func(i, j int) bool { return lessFold(hits[i].id, hits[j].id) })
	return hits
}

// page applies SQL-style OFFSET and LIMIT (limit < 0: none).
func page[T any](items []T, limit, offset int) []T {
	if offset > 0 {
		if offset >= len(items) {
			return nil
		}
		items = items[offset:]
	}
	if limit >= 0 && limit < len(items) {
		items = items[:limit]
	}
	return items
}

// deleteUser removes an account and everything hanging from it.
func (s *Simulator) deleteUser(u *user) {
	delete(s.users, strings.ToLower(u.id))
	for _, g := range s.groups {
		delete(g.members, u.id)
		delete(g.subadmins, u.id)
	}
	for tok, uid := range s.tokens {
		if uid == u.id {
			delete(s.tokens, tok)
		}
	}
	kept := s.shares[:0]
	for _, sh := range s.shares {
		if sh.owner != u.id {
			kept = append(kept, sh)
		}
	}
	s.shares = kept
}

// deleteGroup removes a group and the shares made to it.
func (s *Simulator) deleteGroup(g *group) {
	delete(s.groups, g.id)
	kept := s.shares[:0]
	for _, sh := range s.shares {
		if sh.with != g.id {
			kept = append(kept, sh)
		}
	}
	s.shares = kept
}

// login records a successful login: lastLogin moves forward (at most once a
// minute, like Nextcloud) and the home folder is created on first login with
// the skeleton file. It returns errSkeleton when the quota is too small for
// the skeleton, as the recorded server did (HTTP 503 on WebDAV).
func (s *Simulator) login(u *user) error {
	now := s.now()
	if now.Sub(u.lastLogin) > time.Minute {
		u.lastLogin = now
	}
	if u.firstLogin.IsZero() {
		u.firstLogin = now
	}
	if u.home != nil {
		return nil
	}
	return s.createHome(u)
}

// errSkeleton reports that the skeleton did not fit in the user's quota.
var errSkeleton = errors.New("OCP\\Files\\GenericFileException: file_put_contents failed")

// createHome creates u's home folder and copies the skeleton into it.
func (s *Simulator) createHome(u *user) error {
	u.home = s.newNode("", true, nil)
	u.storageID = s.nextStorage
	s.nextStorage++
	data := []byte(skeletonText)
	var err error
	if u.quota >= 0 && int64(len(data)) > u.quota {
		if s.opts.Profile.SkeletonSkippedOverQuota {
			return nil
		}
		data = data[:u.quota]
		err = errSkeleton
	}
	f := s.newNode(skeletonName, false, u.home)
	f.data = data
	return err
}

// skeletonName and skeletonText are the file copied into every new home
// (164 bytes, like the recorded server's skeleton).
const (
	skeletonName = "welcome.txt"
	skeletonText = "Welcome to Nextcloud, your own safe home for all your data.\n\nThis sample file was copied into your home folder when you first logged in.\nArchipel's test simulator.\n"
)

// compile-time check that Simulator is a handler.
var _ http.Handler = (*Simulator)(nil)
