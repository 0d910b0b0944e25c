package simulator

import (
	"fmt"
	"sort"
	"time"
)

// State is a copy of everything the simulator holds, for tests and the demo.
type State struct {
	Maintenance  bool
	Users        []User                     // ordered by id
	Groups       []Group                    // ordered by id
	GroupFolders []GroupFolder              // ordered by id
	Shares       []Share                    // in creation order
	Files        map[string]map[string]File // user id → path in the home ("/Projects/hello.txt") → file or folder
	Mails        []Mail                     // welcome mails sent, oldest first
	FailedLogins map[string]int             // client IP → failed logins counted by brute-force protection
}

// User is an account as held by the simulator.
type User struct {
	ID          string
	DisplayName string
	Email       string
	Quota       int64 // bytes; QuotaUnlimited when none
	Language    string
	Enabled     bool
	Groups      []string
	SubadminOf  []string
	LastLogin   time.Time // zero if the user never logged in
	HomeCreated bool      // the home folder exists (created at first login)
}

// Group is a group with its members and subadmins.
type Group struct {
	ID          string
	DisplayName string
	Members     []string
	Subadmins   []string
}

// GroupFolder is a folder of the groupfolders app.
type GroupFolder struct {
	ID         int
	MountPoint string
	Groups     map[string]int // group id → permissions
	Quota      int64          // bytes; QuotaUnlimited when none
	Size       int64
	ACL        bool
	Files      map[string]File // path in the folder → file or folder
}

// Share is a group share.
type Share struct {
	ID          string
	Owner       string
	Path        string // in the owner's home
	Group       string
	Permissions int
	Created     time.Time
}

// File is a file or folder.
type File struct {
	Size     int64
	ETag     string
	Dir      bool
	Modified time.Time
}

// Mail is a mail the simulator "sent".
type Mail struct {
	To          string
	UserID      string
	Subject     string
	Link        string // set-password link for accounts created without password, else the login page
	SetPassword bool
	Sent        time.Time
}

// Snapshot returns a deep copy of the current state.
func (s *Simulator) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Maintenance: s.maintenance, Files: map[string]map[string]File{}, FailedLogins: map[string]int{}}
	for _, u := range s.sortedUsers() {
		st.Users = append(st.Users, User{ID: u.id, DisplayName: u.display(), Email: u.email, Quota: u.quota,
			Language: u.lang(), Enabled: u.enabled, Groups: s.userGroups(u), SubadminOf: s.subadminGroups(u),
			LastLogin: u.lastLogin, HomeCreated: u.home != nil})
		if u.home != nil {
			st.Files[u.id] = files(u.home)
		}
	}
	for _, g := range s.sortedGroups() {
		st.Groups = append(st.Groups, Group{ID: g.id, DisplayName: g.displayName, Members: sortedIDs(g.members), Subadmins: sortedIDs(g.subadmins)})
	}
	ids := make([]int, 0, len(s.folders))
	for id := range s.folders {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		f := s.folders[id]
		gf := GroupFolder{ID: f.id, MountPoint: f.mount, Groups: map[string]int{}, Quota: f.quota, Size: f.root.size(), ACL: f.acl, Files: files(f.root)}
		for _, fg := range f.groups {
			gf.Groups[fg.gid] = fg.perms
		}
		st.GroupFolders = append(st.GroupFolders, gf)
	}
	for _, sh := range s.shares {
		st.Shares = append(st.Shares, Share{ID: fmt.Sprint(sh.id), Owner: sh.owner, Path: sh.path, Group: sh.with, Permissions: sh.perms, Created: sh.stime})
	}
	st.Mails = append(st.Mails, s.mails...)
	for ip, n := range s.failures {
		st.FailedLogins[ip] = n
	}
	return st
}

// files lists everything below root by path.
func files(root *node) map[string]File {
	out := map[string]File{}
	root.walk("", func(p string, n *node) {
		out[p] = File{Size: n.size(), ETag: n.etag, Dir: n.dir, Modified: n.mtime}
	})
	return out
}

// SetMaintenance switches maintenance mode: status.php reports it and every
// other route answers 503.
func (s *Simulator) SetMaintenance(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maintenance = on
}

// Account describes a user to seed with AddUser.
type Account struct {
	ID          string
	Password    string // empty: the account cannot log in with a password
	DisplayName string
	Email       string
	Quota       string // as the API takes it ("5 GB", "1073741824", "none"); empty means default
	Language    string
	Groups      []string // created when missing
	SubadminOf  []string // created when missing
	Disabled    bool
}

// AddUser seeds an account without the API's checks (password policy, mail).
// It returns ErrExists when the id is taken, ignoring case.
func (s *Simulator) AddUser(a Account) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == "" {
		return fmt.Errorf("simulator: add user: empty id")
	}
	if s.user(a.ID) != nil {
		return fmt.Errorf("simulator: add user %q: %w", a.ID, ErrExists)
	}
	quota := QuotaUnlimited
	if a.Quota != "" {
		q, res := s.parseQuota(a.Quota)
		if res != nil {
			return fmt.Errorf("simulator: add user %q: invalid quota %q", a.ID, a.Quota)
		}
		quota = q
	}
	u := s.newUser(a.ID, a.Password)
	u.displayName, u.email, u.quota, u.language, u.enabled = a.DisplayName, a.Email, quota, a.Language, !a.Disabled
	for _, gid := range a.Groups {
		s.ensureGroup(gid).members[u.id] = true
	}
	for _, gid := range a.SubadminOf {
		s.ensureGroup(gid).subadmins[u.id] = true
	}
	return nil
}

// ensureGroup returns group gid, creating it when missing.
func (s *Simulator) ensureGroup(gid string) *group {
	g := s.groups[gid]
	if g == nil {
		g = newGroup(gid)
		s.groups[gid] = g
	}
	return g
}

// AddGroup seeds a group; displayName may be empty. It returns ErrExists
// when the id is taken (group ids are case-sensitive).
func (s *Simulator) AddGroup(id, displayName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		return fmt.Errorf("simulator: add group: empty id")
	}
	if s.groups[id] != nil {
		return fmt.Errorf("simulator: add group %q: %w", id, ErrExists)
	}
	g := newGroup(id)
	if displayName != "" {
		g.displayName = displayName
	}
	s.groups[id] = g
	return nil
}

// TouchLogin simulates a login of userID at the given time: lastLogin is set
// and the home folder is created if it did not exist.
func (s *Simulator) TouchLogin(userID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(userID)
	if u == nil {
		return fmt.Errorf("simulator: touch login %q: %w", userID, ErrNotFound)
	}
	u.lastLogin = at
	if u.home == nil {
		s.createHome(u)
	}
	return nil
}

// ResetBruteForce forgets every failed login, like
// occ security:bruteforce:reset.
func (s *Simulator) ResetBruteForce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.failures)
	clear(s.attempts)
}

// AddAppPassword gives userID an app password, like
// occ user:auth-tokens:add. ErrNotFound when there is no such user.
func (s *Simulator) AddAppPassword(userID, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(userID)
	if u == nil {
		return ErrNotFound
	}
	s.tokens[token] = u.id
	return nil
}

// PasswordVerifications counts the login-password verifications the server
// made (Basic requests with the login password, session logins,
// confirmations): each costs Profile.LoginLatency.
func (s *Simulator) PasswordVerifications() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// EndSessions forgets every login session, as a server restart with a new
// session store or an administrator revoking the sessions would: the next
// request with their cookies is answered 401.
func (s *Simulator) EndSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// Profile returns the generation the simulator behaves like.
func (s *Simulator) Profile() Profile { return s.opts.Profile }

// Calls returns the number of calls received (the state page excluded).
func (s *Simulator) Calls() int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.calls
}

// RouteCalls returns the number of calls per route name, such as
// "POST /ocs/cloud/users" or "PUT /dav/files".
func (s *Simulator) RouteCalls() map[string]int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := make(map[string]int, len(s.routeCalls))
	for k, v := range s.routeCalls {
		out[k] = v
	}
	return out
}
