package simulator

import (
	"math"
	"net/http"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// diskFree is the free disk space reported for users without a quota.
const diskFree int64 = 81640951808

// accountProps are the profile properties shown in user details, in order.
var accountProps = []string{"phone", "address", "website", "twitter", "fediverse", "organisation", "role", "headline", "biography"}

// intParam reads an integer parameter; missing or empty gives def.
func intParam(c *ocsCall, k string, def int) int {
	v := c.param(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	return n
}

// userData builds the details Nextcloud returns for target as seen by actor,
// or nil when actor may not see them. The enabled flag only appears for
// administrators and subadmins; *Scope fields only for the user themself.
func (s *Simulator) userData(actor, target *user, scopes bool) obj {
	d := obj{}
	if s.canManage(actor, target) {
		d = append(d, kv{"enabled", target.enabled})
	} else if actor.id != target.id {
		return nil
	}
	subadmin := s.subadminGroups(target)
	d = append(d,
		kv{"storageLocation", "/var/nextcloud/data/" + target.id},
		kv{"id", target.id})
	if s.opts.Profile.NewAccountFields {
		d = append(d, kv{"firstLoginTimestamp", loginSeconds(target.firstLogin)}, kv{"lastLoginTimestamp", loginSeconds(target.lastLogin)})
	}
	d = append(d,
		kv{"lastLogin", lastLoginMillis(target)},
		kv{"backend", "Database"},
		kv{"subadmin", strList(subadmin)},
		kv{"quota", s.quotaData(target)},
		kv{"manager", ""},
	)
	scope := func(k, v string) {
		if scopes {
			d = append(d, kv{k + "Scope", v})
		}
	}
	scope("avatar", "v2-federated")
	var email any
	if target.email != "" {
		email = target.email
	}
	d = append(d, kv{"email", email})
	scope("email", "v2-federated")
	d = append(d, kv{"additional_mail", []any{}})
	if scopes {
		d = append(d, kv{"additional_mailScope", []any{}})
	}
	d = append(d, kv{"displayname", target.display()}, kv{"display-name", target.display()})
	scope("displayname", "v2-federated")
	for _, p := range accountProps {
		d = append(d, kv{p, target.props[p]})
		scope(p, "v2-local")
		if p == "twitter" && s.opts.Profile.NewAccountFields {
			d = append(d, kv{"bluesky", target.props["bluesky"]})
			scope("bluesky", "v2-local")
		}
	}
	d = append(d, kv{"profile_enabled", "1"})
	scope("profile_enabled", "v2-local")
	if s.opts.Profile.NewAccountFields {
		d = append(d, kv{"pronouns", target.props["pronouns"]})
		scope("pronouns", "v2-federated")
	}
	d = append(d,
		kv{"groups", strList(s.userGroups(target))},
		kv{"language", target.lang()},
		kv{"locale", target.locale})
	if s.opts.Profile.NewAccountFields {
		d = append(d, kv{"timezone", "UTC"})
	}
	d = append(d,
		kv{"notify_email", nil},
		kv{"backendCapabilities", obj{{"setDisplayName", true}, {"setPassword", true}}},
	)
	return d
}

// loginSeconds is a login time in seconds, 0 if never.
func loginSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// lastLoginMillis is lastLogin in milliseconds, 0 if never.
func lastLoginMillis(u *user) int64 {
	if u.lastLogin.IsZero() {
		return 0
	}
	return u.lastLogin.Unix() * 1000
}

// quotaData is the quota object of user details: a short form before the
// first login, the storage figures afterwards.
func (s *Simulator) quotaData(u *user) obj {
	if s.opts.Profile.FullQuotaObject {
		var used int64
		if u.home != nil {
			used = u.home.size()
		}
		if u.quota == QuotaUnlimited {
			return obj{{"free", QuotaUnlimited}, {"used", used}, {"total", QuotaUnlimited}, {"relative", 0}, {"quota", QuotaUnlimited}}
		}
		relative := 0.0
		if u.quota > 0 {
			relative = math.Round(float64(used)/float64(u.quota)*10000) / 100
		}
		return obj{{"free", max(0, u.quota-used)}, {"used", used}, {"total", u.quota}, {"relative", relative}, {"quota", u.quota}}
	}
	if u.home == nil {
		if u.quota == QuotaUnlimited {
			return obj{{"quota", "none"}, {"used", 0}}
		}
		return obj{{"quota", u.quota}, {"used", 0}}
	}
	used := u.home.size()
	free, total := diskFree, used+diskFree
	if u.quota != QuotaUnlimited {
		total = u.quota
		free = max(0, u.quota-used)
	}
	relative := 0.0
	if total > 0 {
		relative = math.Round(float64(used)/float64(total)*10000) / 100
	}
	return obj{{"free", free}, {"used", used}, {"total", total}, {"relative", relative}, {"quota", u.quota}}
}

// listUsers answers GET cloud/users.
func (s *Simulator) listUsers(c *ocsCall) ocsResult {
	return ok(obj{{"users", strList(s.visibleUserIDs(c))}})
}

// visibleUserIDs selects the accounts listed for the caller: all for an
// administrator, the members of administered groups for a subadmin.
func (s *Simulator) visibleUserIDs(c *ocsCall) []string {
	search, limit, offset := c.param("search"), intParam(c, "limit", -1), intParam(c, "offset", 0)
	var ids []string
	if s.isAdmin(c.user) {
		for _, u := range s.searchUsers(search, limit, offset, nil) {
			ids = append(ids, u.id)
		}
		return ids
	}
	seen := map[string]bool{}
	for _, gid := range s.subadminGroups(c.user) {
		g := s.groups[gid]
		for _, u := range s.searchUsers(search, limit, offset, func(u *user) bool { return g.members[u.id] }) {
			if !seen[u.id] {
				seen[u.id] = true
				ids = append(ids, u.id)
			}
		}
	}
	return ids
}

// listUsersDetails answers GET cloud/users/details.
func (s *Simulator) listUsersDetails(c *ocsCall) ocsResult {
	users := obj{}
	for _, id := range s.visibleUserIDs(c) {
		if d := s.userData(c.user, s.user(id), false); d != nil {
			users = append(users, kv{id, d})
		} else {
			users = append(users, kv{id, obj{{"id", id}}})
		}
	}
	return ok(obj{{"users", users}})
}

// getUser answers GET cloud/users/{userid}.
func (s *Simulator) getUser(c *ocsCall) ocsResult {
	id := c.param("userid")
	target := s.user(id)
	if target == nil {
		return fail(http.StatusNotFound, "User does not exist")
	}
	d := s.userData(c.user, target, c.user.id == id)
	if d == nil {
		return fail(ocsNotFound, "")
	}
	return ok(d)
}

// currentUser answers GET cloud/user.
func (s *Simulator) currentUser(c *ocsCall) ocsResult {
	return ok(s.userData(c.user, c.user, true))
}

// Messages of account creation.
const (
	msgBadChars   = `Only the following characters are allowed in a username: "a-z", "A-Z", "0-9", spaces and "_.@-'"`
	msgCommonPass = "Password is among the 1,000,000 most common ones. Please make it unique."
)

// badUserChars matches characters Nextcloud refuses in a user id.
var badUserChars = regexp.MustCompile(`[^a-zA-Z0-9 _.@\-']`)

// validateUserID checks an id like Nextcloud's user manager (code 101).
func validateUserID(id string) string {
	switch {
	case badUserChars.MatchString(id):
		return msgBadChars
	case strings.TrimSpace(id) == "":
		return "A valid username must be provided"
	case strings.TrimSpace(id) != id:
		return "Username contains whitespace at the beginning or at the end"
	case id == "." || id == "..":
		return "Username must not consist of dots only"
	}
	return ""
}

// commonPasswords stands in for the password_policy app's list of the
// 1,000,000 most common passwords (compared lower-cased).
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon
		123123 baseball abc123 football monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang
		1234567890 michael 654321 superman 1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan
		jennifer zxcvbnm asdfgh hunter buster soccer harley batman andrew tigger sunshine iloveyou 2000 charlie
		robert thomas hockey ranger daniel starwars klaster 112233 george computer michelle jessica pepper 1111
		zxcvbn 555555 11111111 131313 freedom 777777 pass maggie 159753 aaaaaa ginger princess joshua cheese
		amanda summer love ashley nicole chelsea biteme matthew access yankees 987654321 dallas austin thunder
		taylor matrix abc short secret welcome admin administrator nextcloud passw0rd password1 password123
		qwerty123 welcome1 letmein1 changeme azerty azertyuiop motdepasse soleil bonjour`) {
		commonPasswords[p] = true
	}
}

// passwordPolicy returns the password_policy hint for a weak password, or "".
func passwordPolicy(p string) string {
	var msgs []string
	if commonPasswords[strings.ToLower(p)] {
		msgs = append(msgs, msgCommonPass)
	}
	if len([]rune(p)) < 10 {
		msgs = append(msgs, "Password needs to be at least 10 characters long.")
	}
	return strings.Join(msgs, " ")
}

// validEmail approximates PHP's FILTER_VALIDATE_EMAIL.
func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && strings.Contains(e[at+1:], ".")
}

// createUser answers POST cloud/users, following Nextcloud's order of checks.
// As on the recorded server, an invalid quota or language is reported after
// the account has been created.
func (s *Simulator) createUser(c *ocsCall) ocsResult {
	id, password, email := c.param("userid"), c.param("password"), c.param("email")
	admin := s.isAdmin(c.user)
	if s.user(id) != nil {
		return fail(102, "User already exists")
	}
	groups := c.list("groups")
	for _, gid := range groups {
		if s.groups[gid] == nil {
			if s.opts.Profile.NewStatusCodes {
				return fail(104, "Group "+gid+" does not exist")
			}
			return fail(104, "group "+gid+" does not exist")
		}
		if !admin && !s.isSubadminOf(c.user, gid) {
			return fail(105, "insufficient privileges for group "+gid)
		}
	}
	if len(groups) == 0 && !admin {
		return fail(106, "no group specified (required for subadmins)")
	}
	subadminOf := c.list("subadmin")
	for _, gid := range subadminOf {
		switch {
		case s.groups[gid] == nil:
			return fail(102, "Subadmin group does not exist")
		case gid == adminGroup:
			return fail(103, "Cannot create subadmins for admin group")
		case !admin && !s.isSubadminOf(c.user, gid):
			return fail(http.StatusForbidden, "No permissions to promote subadmins")
		}
	}
	if len(password) > 469 {
		return fail(101, "Invalid password value")
	}
	setPasswordLink := false
	if password == "" {
		if email == "" {
			return fail(108, "To send a password link to the user an email address is required.")
		}
		setPasswordLink = true
	}
	if msg := validateUserID(id); msg != "" {
		return fail(101, msg)
	}
	if max := s.opts.Profile.MaxUserIDLength; max > 0 && len(id) > max {
		return fail(101, "Username is too long")
	}
	if !setPasswordLink {
		if strings.TrimSpace(password) == "" {
			return fail(101, "A valid password must be provided")
		}
		if hint := passwordPolicy(password); hint != "" {
			return fail(107, hint)
		}
	}
	u := s.newUser(id, password)
	if setPasswordLink {
		u.password = "" // a random password nobody knows until the link is used
	}
	for _, gid := range groups {
		s.groups[gid].members[u.id] = true
	}
	for _, gid := range subadminOf {
		s.groups[gid].subadmins[u.id] = true
	}
	if dn := c.param("displayName"); dn != "" {
		u.displayName = dn
	}
	if q := c.param("quota"); q != "" {
		if res, done := s.setQuota(u, q); done {
			return res
		}
	}
	if l := c.param("language"); l != "" {
		if !validLanguage(l) {
			return fail(s.opts.Profile.code(102, 101), "Invalid language")
		}
		u.language = l
	}
	if email != "" {
		u.email = email
		s.sendWelcome(u, setPasswordLink, c.baseURL)
	}
	return ok(obj{{"id", id}})
}

// setQuota applies a quota value as editUser does; done reports a failure.
func (s *Simulator) setQuota(u *user, value string) (ocsResult, bool) {
	q, res := s.parseQuota(value)
	if res != nil {
		return *res, true
	}
	u.quota = q
	return ocsResult{}, false
}

// parseQuota converts an editUser quota value to bytes, reproducing
// Nextcloud's round trip through a human-readable size ("1.4 MB").
func (s *Simulator) parseQuota(value string) (int64, *ocsResult) {
	if value == "none" || value == "default" {
		return QuotaUnlimited, nil
	}
	bytes, ok := computerFileSize(value)
	if !ok {
		r := fail(102, "Invalid quota value "+value)
		if s.opts.Profile.NewStatusCodes {
			r = fail(101, "Invalid quota value: "+value)
		}
		return 0, &r
	}
	if bytes < 0 {
		r := fail(s.opts.Profile.code(http.StatusInternalServerError, ocsServerError), msgInternalError)
		return 0, &r
	}
	human := humanFileSize(bytes)
	back, _ := computerFileSize(human)
	return int64(back), nil
}

// computerFileSize parses "5 GB", "100 B" or "1073741824" like Nextcloud.
func computerFileSize(s string) (float64, bool) {
	s = strings.ToLower(s)
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		return f, true
	}
	num := phpFloatPrefix(s)
	units := map[string]float64{"b": 1, "k": 1 << 10, "kb": 1 << 10, "mb": 1 << 20, "m": 1 << 20,
		"gb": 1 << 30, "g": 1 << 30, "tb": 1 << 40, "t": 1 << 40, "pb": 1 << 50, "p": 1 << 50}
	m := sizeUnit.FindStringSubmatch(s)
	if m == nil || units[m[1]] == 0 {
		return 0, false
	}
	return math.Round(num * units[m[1]]), true
}

// sizeUnit finds the unit suffix of a human-readable size.
var sizeUnit = regexp.MustCompile(`([kmgtp]?b?)$`)

// phpFloatPrefix is PHP's (float) cast of a string: its numeric prefix.
func phpFloatPrefix(s string) float64 {
	s = strings.TrimLeft(s, " \t\n")
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || (end == 0 && (s[end] == '-' || s[end] == '+'))) {
		end++
	}
	f, _ := strconv.ParseFloat(s[:end], 64)
	return f
}

// humanFileSize formats bytes like Nextcloud's OC_Helper::humanFileSize.
func humanFileSize(b float64) string {
	if b < 1024 {
		return phpFloat(b) + " B"
	}
	b = math.Round(b / 1024)
	if b < 1024 {
		return phpFloat(b) + " KB"
	}
	for _, unit := range []string{"MB", "GB", "TB"} {
		b = math.Round(b/1024*10) / 10
		if b < 1024 {
			return phpFloat(b) + " " + unit
		}
	}
	return phpFloat(math.Round(b/1024*10)/10) + " PB"
}

// languages are the language codes Nextcloud 27 ships.
var languages = map[string]bool{}

func init() {
	for _, l := range strings.Fields(`af ar ast az be bg bn_BD br bs ca cs cy_GB da de de_DE el en en_GB eo es es_AR es_CL
		es_CO es_CR es_DO es_EC es_GT es_HN es_MX es_NI es_PA es_PE es_PR es_PY es_SV es_UY et_EE eu fa fi fr ga gd gl
		he hi_IN hr hu hy ia id is it ja ka ka_GE kab km kn ko lb lo lt_LT lv mk mn ms_MY nb nl nn_NO oc pl ps pt_BR
		pt_PT ro ru sc si sk sl sq sr sr@latin sv sw ta th tk tr ug uk ur_PK uz vi zh_CN zh_HK zh_TW`) {
		languages[l] = true
	}
}

// validLanguage reports whether l is a language Nextcloud knows.
func validLanguage(l string) bool { return languages[l] }

// validLocale accepts locales such as "fr", "fr_FR" or "de_CH".
var validLocale = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z][a-z]{3})?(_[A-Z]{2}|_[0-9]{3})?$`).MatchString

// sendWelcome "sends" the welcome mail when mail works and the address is
// valid; Nextcloud only logs a failed delivery.
func (s *Simulator) sendWelcome(u *user, setPassword bool, base string) bool {
	if !s.opts.MailEnabled || !validEmail(u.email) {
		return false
	}
	link := base + "/"
	if setPassword {
		link = base + "/index.php/lostpassword/reset/form/" + newAppPassword()[:21] + "/" + u.id
	}
	s.mails = append(s.mails, Mail{To: u.email, UserID: u.id, Subject: "Your Nextcloud account was created",
		Link: link, SetPassword: setPassword, Sent: s.now()})
	return true
}

// editUser answers PUT cloud/users/{userid} (key/value).
func (s *Simulator) editUser(c *ocsCall) ocsResult {
	target := s.user(c.param("userid"))
	if target == nil {
		return fail(ocsNotFound, "")
	}
	key, value := c.param("key"), c.param("value")
	permitted := map[string]bool{"display": true, "displayname": true, "email": true, "password": true,
		"language": true, "locale": true, "profile_enabled": true}
	for _, p := range accountProps {
		permitted[p] = true
	}
	switch {
	case target.id == c.user.id:
		if s.isAdmin(c.user) {
			permitted["quota"] = true
		}
	case s.canManage(c.user, target):
		permitted["quota"] = true
	default:
		return fail(ocsNotFound, "")
	}
	if !permitted[key] {
		return fail(s.opts.Profile.code(103, 113), "")
	}
	switch key {
	case "display", "displayname":
		target.displayName = value
	case "email":
		if value != "" && !validEmail(value) {
			return fail(s.opts.Profile.code(102, 101), "")
		}
		target.email = value
	case "password":
		if len(value) > 469 {
			return fail(102, "Invalid password value")
		}
		if hint := passwordPolicy(value); hint != "" {
			return fail(s.opts.Profile.code(103, 107), hint)
		}
		target.password = value
	case "language":
		if !validLanguage(value) && value != "en" {
			return fail(s.opts.Profile.code(102, 101), "Invalid language")
		}
		target.language = value
	case "locale":
		if value != "" && !validLocale(value) {
			return fail(102, "Invalid locale")
		}
		target.locale = value
	case "quota":
		if res, done := s.setQuota(target, value); done {
			return res
		}
	case "profile_enabled":
	default:
		target.props[key] = value
	}
	return ok(obj{})
}

// deleteUserRoute answers DELETE cloud/users/{userid}.
func (s *Simulator) deleteUserRoute(c *ocsCall) ocsResult {
	target := s.user(c.param("userid"))
	switch {
	case target == nil:
		return fail(ocsNotFound, "")
	case target.id == c.user.id:
		return fail(101, "")
	case !s.canManage(c.user, target):
		return fail(ocsUnauthorised, "")
	}
	s.deleteUser(target)
	return ok(obj{})
}

// enableUser answers PUT cloud/users/{userid}/enable.
func (s *Simulator) enableUser(c *ocsCall) ocsResult { return s.setEnabled(c, true) }

// disableUser answers PUT cloud/users/{userid}/disable.
func (s *Simulator) disableUser(c *ocsCall) ocsResult { return s.setEnabled(c, false) }

func (s *Simulator) setEnabled(c *ocsCall, enabled bool) ocsResult {
	target := s.user(c.param("userid"))
	if target == nil || target.id == c.user.id {
		return fail(101, "")
	}
	if !s.canManage(c.user, target) {
		return fail(ocsUnauthorised, "")
	}
	target.enabled = enabled
	return ok(obj{})
}

// userGroupsRoute answers GET cloud/users/{userid}/groups.
func (s *Simulator) userGroupsRoute(c *ocsCall) ocsResult {
	target := s.user(c.param("userid"))
	switch {
	case target == nil:
		return fail(ocsNotFound, "")
	case target.id == c.user.id || s.isAdmin(c.user):
		return ok(obj{{"groups", strList(s.userGroups(target))}})
	case s.isUserAccessible(c.user, target):
		var common []string
		for _, gid := range s.subadminGroups(c.user) {
			if s.groups[gid].members[target.id] {
				common = append(common, gid)
			}
		}
		return ok(obj{{"groups", strList(common)}})
	}
	return fail(ocsUnauthorised, "")
}

// addToGroup answers POST cloud/users/{userid}/groups.
func (s *Simulator) addToGroup(c *ocsCall) ocsResult {
	gid := c.param("groupid")
	if gid == "" {
		return fail(101, "")
	}
	g, target := s.groups[gid], s.user(c.param("userid"))
	switch {
	case g == nil:
		return fail(102, "")
	case target == nil:
		return fail(103, "")
	case !s.isAdmin(c.user) && !s.isSubadminOf(c.user, gid):
		return fail(104, "")
	}
	g.members[target.id] = true
	return ok(obj{})
}

// removeFromGroup answers DELETE cloud/users/{userid}/groups; the group id
// may come in the body or the query string.
func (s *Simulator) removeFromGroup(c *ocsCall) ocsResult {
	gid := c.param("groupid")
	if gid == "" {
		return fail(101, "")
	}
	g, target := s.groups[gid], s.user(c.param("userid"))
	admin := s.isAdmin(c.user)
	switch {
	case g == nil:
		return fail(102, "")
	case target == nil:
		return fail(103, "")
	case !admin && !s.isSubadminOf(c.user, gid):
		return fail(104, "")
	case target.id == c.user.id && admin && gid == adminGroup:
		return fail(105, "Cannot remove yourself from the admin group")
	case target.id == c.user.id && !admin:
		return fail(105, "Cannot remove yourself from this group as you are a sub-admin")
	}
	delete(g.members, target.id)
	return ok(obj{})
}

// userSubadmins answers GET cloud/users/{userid}/subadmins.
func (s *Simulator) userSubadmins(c *ocsCall) ocsResult {
	target := s.user(c.param("userid"))
	if target == nil {
		return fail(http.StatusNotFound, "User does not exist")
	}
	return ok(strList(s.subadminGroups(target)))
}

// addSubadmin answers POST cloud/users/{userid}/subadmins (idempotent).
func (s *Simulator) addSubadmin(c *ocsCall) ocsResult {
	gid := c.param("groupid")
	target, g := s.user(c.param("userid")), s.groups[gid]
	switch {
	case target == nil:
		return fail(101, "User does not exist")
	case g == nil:
		return fail(102, "Group does not exist")
	case strings.ToLower(gid) == adminGroup:
		return fail(103, "Cannot create subadmins for admin group")
	}
	g.subadmins[target.id] = true
	return ok(obj{})
}

// removeSubadmin answers DELETE cloud/users/{userid}/subadmins.
func (s *Simulator) removeSubadmin(c *ocsCall) ocsResult {
	target, g := s.user(c.param("userid")), s.groups[c.param("groupid")]
	switch {
	case target == nil:
		return fail(101, "User does not exist")
	case g == nil:
		return fail(101, "Group does not exist")
	case !g.subadmins[target.id]:
		return fail(102, "User is not a subadmin of this group")
	}
	delete(g.subadmins, target.id)
	return ok(obj{})
}

// resendWelcome answers POST cloud/users/{userid}/welcome.
func (s *Simulator) resendWelcome(c *ocsCall) ocsResult {
	target := s.user(c.param("userid"))
	switch {
	case target == nil:
		return fail(http.StatusNotFound, "")
	case !s.canManage(c.user, target):
		return fail(http.StatusForbidden, "")
	case target.email == "":
		return fail(101, "Email address not available")
	}
	if !s.sendWelcome(target, false, c.baseURL) {
		return fail(102, "Sending email failed")
	}
	return ok(obj{})
}

// sortedIDs returns the keys of a membership set, sorted.
func sortedIDs(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
