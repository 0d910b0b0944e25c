package onboarding

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// AllFrance is the départements list of a host that serves the whole country.
const AllFrance = "*"

// OpenStatuses are the statuses of a request that weighs on its host's
// capacity before the workspace exists.
var OpenStatuses = []Status{StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned, StatusApproved, StatusProvisioning}

// HostLoad is how much a host already carries.
type HostLoad struct {
	Open      int // requests being handled (OpenStatuses)
	Active    int // associations whose workspace is ready
	StorageGB int // quota given to workspaces still enabled, in GB
}

// Total is what counts against the host's capacity.
func (l HostLoad) Total() int { return l.Open + l.Active }

// HostProfile is a partner host as the administrator manages it and as
// matching weighs it.
type HostProfile struct {
	ID              string
	Slug            string
	Name            string
	Website         string
	ContactEmail    string
	ContactLanguage string // of the e-mails to ContactEmail: "fr" or "en"
	HelpURL         string
	TermsURL        string
	// The current version of the host's terms as Archipel shows them
	// (none when TermsVersion is 0): its text and the text's digest.
	TermsText       string
	TermsVersion    int
	TermsDigest     string
	Region          string
	Departements    []string // codes, or AllFrance alone
	Services        []string
	MaxAssociations int
	StorageBudgetGB int
	DefaultQuotaGB  int
	DefaultAccounts int
	// AccountQuotaGB is each new account's own quota, beside the shared
	// folder's DefaultQuotaGB.
	AccountQuotaGB int
	// RequestsPerSecond and JobsAtOnce pace provisioning on this host (0:
	// the service's defaults, 10 and 2).
	RequestsPerSecond int
	JobsAtOnce        int
	FolderTemplate    []string // empty: the default tree
	WelcomeFR         string   // empty: the default welcome document
	WelcomeEN         string
	NextcloudURL      string
	NextcloudUser     string
	HasSecret         bool // an app password is stored (it is never read back here)
	Paused            bool // "registration full": takes no new request
	LastAssignedAt    time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Load              HostLoad
}

// Connected reports whether the host's Nextcloud connection is configured.
func (h *HostProfile) Connected() bool {
	return h.NextcloudURL != "" && h.NextcloudUser != "" && h.HasSecret
}

// ServesAllFrance reports whether the host takes associations from anywhere.
func (h *HostProfile) ServesAllFrance() bool {
	return len(h.Departements) == 1 && h.Departements[0] == AllFrance
}

// Serves reports whether the host takes associations of a département.
func (h *HostProfile) Serves(departement string) bool {
	return h.ServesAllFrance() || (departement != "" && slices.Contains(h.Departements, departement))
}

// Offers reports whether the host offers every one of the services.
func (h *HostProfile) Offers(services []string) bool {
	for _, s := range services {
		if !slices.Contains(h.Services, s) {
			return false
		}
	}
	return true
}

// HasRoom reports whether the host can take one more association.
func (h *HostProfile) HasRoom() bool { return h.Load.Total() < h.MaxAssociations }

// Eligible reports whether matching may give the host a request from that
// département asking for those services.
func (h *HostProfile) Eligible(departement string, services []string) bool {
	return !h.Paused && h.Serves(departement) && h.Offers(services) && h.HasRoom()
}

// Form returns the host as its edit form shows it.
func (h *HostProfile) Form() *HostForm {
	return &HostForm{
		Name: h.Name, Slug: h.Slug, Website: h.Website, ContactEmail: h.ContactEmail, HelpURL: h.HelpURL,
		TermsURL: h.TermsURL, TermsText: h.TermsText, Region: h.Region, Departements: strings.Join(h.Departements, ", "),
		Services: slices.Clone(h.Services), MaxAssociations: strconv.Itoa(h.MaxAssociations),
		StorageBudgetGB: strconv.Itoa(h.StorageBudgetGB), DefaultQuotaGB: strconv.Itoa(h.DefaultQuotaGB),
		DefaultAccounts: strconv.Itoa(h.DefaultAccounts), FolderTemplate: strings.Join(h.FolderTemplate, "\n"),
		WelcomeFR: h.WelcomeFR, WelcomeEN: h.WelcomeEN, AccountQuotaGB: strconv.Itoa(max(h.AccountQuotaGB, 1)),
		RequestsPerSecond: orDefault(h.RequestsPerSecond, DefaultRequestsPerSecond),
		JobsAtOnce:        orDefault(h.JobsAtOnce, DefaultJobsAtOnce),
		ContactLanguage:   h.ContactLanguage,
	}
}

// HostForm is the administrator's form for a partner host, as typed: a
// refused form shows exactly what was entered.
type HostForm struct {
	Name            string   `form:"host_name"`
	Slug            string   `form:"host_slug"`
	Website         string   `form:"host_website"`
	ContactEmail    string   `form:"host_contact_email"`
	ContactLanguage string   `form:"host_contact_language"`
	HelpURL         string   `form:"host_help_url"`
	TermsURL        string   `form:"host_terms_url"`
	TermsText       string   `form:"host_terms_text"`
	Region          string   `form:"host_region"`
	Departements    string   `form:"host_departements"`
	Services        []string `form:"host_services"`
	MaxAssociations string   `form:"host_max_associations"`
	StorageBudgetGB string   `form:"host_storage_budget_gb"`
	DefaultQuotaGB  string   `form:"host_default_quota_gb"`
	DefaultAccounts string   `form:"host_default_accounts"`
	AccountQuotaGB  string   `form:"host_account_quota_gb"`
	// Pacing of provisioning on the host's Nextcloud.
	RequestsPerSecond string `form:"host_requests_per_second"`
	JobsAtOnce        string `form:"host_jobs_at_once"`
	FolderTemplate    string `form:"host_folder_template"`
	WelcomeFR         string `form:"host_welcome_fr"`
	WelcomeEN         string `form:"host_welcome_en"`

	// Derived by Validate.
	departements []string
	folders      []string
}

// NewHostForm is the form of a host being created, with the usual defaults.
func NewHostForm() *HostForm {
	return &HostForm{Services: []string{"files"}, ContactLanguage: "fr", MaxAssociations: "20", StorageBudgetGB: "500", DefaultQuotaGB: "10", DefaultAccounts: "10",
		AccountQuotaGB: "1", RequestsPerSecond: strconv.Itoa(DefaultRequestsPerSecond), JobsAtOnce: strconv.Itoa(DefaultJobsAtOnce)}
}

// The service's provisioning pace on a host that set none.
const (
	DefaultRequestsPerSecond = 10
	DefaultJobsAtOnce        = 2
)

func orDefault(v, def int) string {
	if v <= 0 {
		v = def
	}
	return strconv.Itoa(v)
}

// Limits of a host's settings.
const (
	maxFolders        = 50
	maxFolderName     = 100 // bytes, as provisioning checks it
	maxWelcome        = 20000
	maxTerms          = 50000
	maxHostCapacity   = 10000
	maxHostBudgetGB   = 1000000
	maxDefaultQuotaGB = 10000
	maxDefaultAccount = 1000
)

var slugRe = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// Validate checks the form and derives the lists it stores.
func (f *HostForm) Validate() FieldErrors {
	var fe FieldErrors
	f.Name, f.Slug, f.ContactEmail = clean(f.Name), strings.ToLower(clean(f.Slug)), clean(f.ContactEmail)
	if f.ContactLanguage == "" {
		f.ContactLanguage = "fr"
	}
	fe.choice("host_contact_language", f.ContactLanguage, []string{"fr", "en"}, true)
	f.Website, f.HelpURL, f.TermsURL, f.Region = clean(f.Website), clean(f.HelpURL), clean(f.TermsURL), clean(f.Region)
	f.Departements = clean(f.Departements)
	f.MaxAssociations, f.StorageBudgetGB = clean(f.MaxAssociations), clean(f.StorageBudgetGB)
	f.DefaultQuotaGB, f.DefaultAccounts = clean(f.DefaultQuotaGB), clean(f.DefaultAccounts)
	f.AccountQuotaGB, f.RequestsPerSecond, f.JobsAtOnce = clean(f.AccountQuotaGB), clean(f.RequestsPerSecond), clean(f.JobsAtOnce)

	fe.line("host_name", f.Name, true, maxShort)
	switch {
	case f.Slug == "":
		fe.add("host_slug", "err.host_slug.required")
	case !slugRe.MatchString(f.Slug):
		fe.add("host_slug", "err.host_slug.invalid")
	}
	for _, u := range []struct {
		field string
		v     *string
	}{{"host_website", &f.Website}, {"host_help_url", &f.HelpURL}, {"host_terms_url", &f.TermsURL}} {
		if *u.v == "" {
			continue
		}
		if w, ok := normalizeWebsite(*u.v); ok {
			*u.v = w
		} else {
			fe.add(u.field, "err.url.invalid")
		}
	}
	if f.ContactEmail == "" {
		fe.add("host_contact_email", "err.host_contact_email.required")
	} else if e, ok := NormalizeEmail(f.ContactEmail); ok {
		f.ContactEmail = e
	} else {
		fe.add("host_contact_email", "err.contact_email.invalid")
	}
	if f.Region != "" && !slices.Contains(regions, f.Region) {
		fe.add("host_region", "err.choice")
	}
	f.departements = nil
	if deps, key := parseDepartements(f.Departements); key != "" {
		fe.add("host_departements", key)
	} else {
		f.departements = deps
	}
	if len(f.Services) == 0 {
		fe.add("host_services", "err.host_services.required")
	}
	for _, s := range f.Services {
		if !oneOf(s, Services) {
			fe.add("host_services", "err.choice")
			break
		}
	}
	fe.number("host_max_associations", f.MaxAssociations, true, 1, maxHostCapacity)
	fe.number("host_storage_budget_gb", f.StorageBudgetGB, true, 1, maxHostBudgetGB)
	fe.number("host_default_quota_gb", f.DefaultQuotaGB, true, 1, maxDefaultQuotaGB)
	if fe.For("host_default_quota_gb") == "" && fe.For("host_storage_budget_gb") == "" && Number(f.DefaultQuotaGB) > Number(f.StorageBudgetGB) {
		fe.add("host_default_quota_gb", "err.host_default_quota_gb.budget")
	}
	fe.number("host_default_accounts", f.DefaultAccounts, true, 1, maxDefaultAccount)
	// Left empty, the pace and the account quota take the defaults.
	fe.number("host_account_quota_gb", f.AccountQuotaGB, false, 1, maxDefaultQuotaGB)
	if f.AccountQuotaGB != "" && fe.For("host_account_quota_gb") == "" && fe.For("host_default_quota_gb") == "" &&
		Number(f.AccountQuotaGB) > Number(f.DefaultQuotaGB) {
		fe.add("host_account_quota_gb", "err.host_account_quota_gb.folder")
	}
	fe.number("host_requests_per_second", f.RequestsPerSecond, false, 1, 100)
	fe.number("host_jobs_at_once", f.JobsAtOnce, false, 1, 20)
	f.folders = nil
	if folders, key := parseFolders(f.FolderTemplate); key != "" {
		fe.add("host_folder_template", key)
	} else {
		f.folders = folders
	}
	f.TermsText = normalizeTerms(f.TermsText)
	switch {
	case tooLong(f.TermsText, maxTerms):
		fe.add("host_terms_text", "err.too_long")
	case accounts.HasControl(strings.NewReplacer("\n", "", "\t", "").Replace(f.TermsText)):
		fe.add("host_terms_text", "err.control_chars")
	}
	for _, w := range []struct{ field, v string }{{"host_welcome_fr", f.WelcomeFR}, {"host_welcome_en", f.WelcomeEN}} {
		switch {
		case tooLong(w.v, maxWelcome):
			fe.add(w.field, "err.too_long")
		case strings.TrimSpace(w.v) != "" && !ValidWelcome(w.v):
			fe.add(w.field, "err.welcome.invalid")
		}
	}
	return fe
}

// parseDepartements reads "69, 01 2A" or "*" into canonical codes, or says
// why it cannot.
func parseDepartements(s string) ([]string, string) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, "err.host_departements.required"
	}
	var out []string
	for _, v := range fields {
		if v == AllFrance {
			if len(fields) > 1 {
				return nil, "err.host_departements.mixed"
			}
			return []string{AllFrance}, ""
		}
		d, ok := LookupDepartement(v)
		if !ok {
			return nil, "err.host_departements.invalid"
		}
		if !slices.Contains(out, d.Code) {
			out = append(out, d.Code)
		}
	}
	return out, ""
}

// parseFolders reads one folder name per line; blank lines are skipped.
func parseFolders(s string) ([]string, string) {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case strings.ContainsAny(line, `/\`) || line == "." || line == ".." || strings.IndexFunc(line, unicode.IsControl) >= 0:
			return nil, "err.host_folder_template.invalid"
		case len(line) > maxFolderName:
			return nil, "err.host_folder_template.long"
		}
		out = append(out, line)
	}
	if len(out) > maxFolders {
		return nil, "err.host_folder_template.too_many"
	}
	return out, ""
}

// welcomeSample has the fields a welcome document may use; it mirrors what
// provisioning fills in (provisioning.welcomeData, with its ServiceSummary
// and ServiceNote), so that a document naming another field is refused
// here rather than failing the provisioning of a workspace.
type welcomeSample struct {
	Association, Host, HostEmail, HelpURL, LoginURL, ContactEmail, Account, Folder string
	Folders                                                                        []string
	Services                                                                       welcomeServices
}

// welcomeServices mirrors provisioning.ServiceSummary: what the service
// steps made, what the host does not serve, and whether calls are missing.
type welcomeServices struct {
	Made     []welcomeNote
	Unserved []string
	NoCall   bool
}

// welcomeNote mirrors provisioning.ServiceNote.
type welcomeNote struct {
	Key, Name, URL string
	DAV            bool
}

// Note mirrors provisioning.ServiceSummary.Note.
func (s welcomeServices) Note(key string) *welcomeNote {
	for i := range s.Made {
		if s.Made[i].Key == key {
			return &s.Made[i]
		}
	}
	return nil
}

// ValidWelcome reports whether a welcome document is a text/template that
// parses and runs with the fields provisioning gives it: once with only
// what every workspace has, once with every optional field and service
// filled in (and again with the services reached by CalDAV/CardDAV), so
// that the branches taken only for some hosts are run too.
func ValidWelcome(doc string) bool {
	t, err := template.New("welcome").Option("missingkey=zero").Parse(doc)
	if err != nil {
		return false
	}
	bare := welcomeSample{Association: "A", Host: "H", Folders: []string{"F"}}
	full := welcomeSample{Association: "A", Host: "H", HostEmail: "h@example.org", HelpURL: "https://h.example.org/aide",
		LoginURL: "https://cloud.example.org", ContactEmail: "a@example.org", Account: "a", Folder: "A", Folders: []string{"F", "G"},
		Services: welcomeServices{Unserved: []string{"video", "office"}, NoCall: true}}
	dav := full
	for _, key := range []string{"calendars", "contacts", "teams", "tasks", "video", "office", "forms", "polls"} {
		full.Services.Made = append(full.Services.Made, welcomeNote{Key: key, Name: "A", URL: "https://cloud.example.org/index.php/apps/" + key})
		dav.Services.Made = append(dav.Services.Made, welcomeNote{Key: key, Name: "A", URL: "https://cloud.example.org/remote.php/dav", DAV: true})
	}
	for _, sample := range []welcomeSample{bare, full, dav} {
		if t.Execute(new(strings.Builder), sample) != nil {
			return false
		}
	}
	return true
}

// hostColumns are read from "hosts h".
const hostColumns = `h.id, h.slug, h.name, h.website, h.contact_email, h.help_url, h.terms_url, h.region, h.departements,
	h.services, h.max_associations, h.storage_budget_gb, h.default_quota_gb, h.default_accounts, h.folder_template,
	h.welcome_fr, h.welcome_en, h.nextcloud_url, h.nextcloud_user, h.nextcloud_secret IS NOT NULL, h.paused,
	h.last_assigned_at, h.created_at, h.updated_at, h.default_account_quota_gb, CAST(h.requests_per_second AS INTEGER), h.jobs_at_once,
	h.contact_language,
	COALESCE((SELECT t.body FROM host_terms t WHERE t.host_id = h.id ORDER BY t.version DESC LIMIT 1), ''),
	COALESCE((SELECT MAX(t.version) FROM host_terms t WHERE t.host_id = h.id), 0),
	COALESCE((SELECT t.digest FROM host_terms t WHERE t.host_id = h.id ORDER BY t.version DESC LIMIT 1), '')`

func scanHost(row scanner) (HostProfile, error) {
	var h HostProfile
	var deps, svcs, folders string
	var last sql.NullTime
	err := row.Scan(&h.ID, &h.Slug, &h.Name, &h.Website, &h.ContactEmail, &h.HelpURL, &h.TermsURL, &h.Region, &deps,
		&svcs, &h.MaxAssociations, &h.StorageBudgetGB, &h.DefaultQuotaGB, &h.DefaultAccounts, &folders,
		&h.WelcomeFR, &h.WelcomeEN, &h.NextcloudURL, &h.NextcloudUser, &h.HasSecret, &h.Paused,
		&last, &h.CreatedAt, &h.UpdatedAt, &h.AccountQuotaGB, &h.RequestsPerSecond, &h.JobsAtOnce,
		&h.ContactLanguage, &h.TermsText, &h.TermsVersion, &h.TermsDigest)
	if err != nil {
		return h, err
	}
	h.Departements, h.Services = splitList(deps), splitList(svcs)
	for _, line := range strings.Split(folders, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			h.FolderTemplate = append(h.FolderTemplate, line)
		}
	}
	h.LastAssignedAt = last.Time
	return h, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// hostLoads counts, per host, its open requests, its ready workspaces and
// the storage they were given.
func hostLoads(ctx context.Context, q queryer) (map[string]HostLoad, error) {
	rows, err := q.QueryContext(ctx, `SELECT host_id,
		SUM(CASE WHEN status IN (`+countedList+`) THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'ready' THEN 1 ELSE 0 END)
		FROM applications WHERE host_id IS NOT NULL GROUP BY host_id`)
	if err != nil {
		return nil, err
	}
	out := map[string]HostLoad{}
	for rows.Next() {
		var id string
		var l HostLoad
		if err := rows.Scan(&id, &l.Open, &l.Active); err != nil {
			rows.Close()
			return nil, err
		}
		out[id] = l
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT host_id, COALESCE(SUM(quota_bytes), 0) FROM workspaces WHERE disabled_at IS NULL GROUP BY host_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var bytes int64
		if err := rows.Scan(&id, &bytes); err != nil {
			return nil, err
		}
		l := out[id]
		l.StorageGB = int(bytes / (1 << 30))
		out[id] = l
	}
	return out, rows.Err()
}

// ListHosts returns every partner host with its load, by name.
func (s *Store) ListHosts(ctx context.Context) ([]HostProfile, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+hostColumns+` FROM hosts h ORDER BY h.name, h.id`)
	if err != nil {
		return nil, database.MapError(err, "onboarding: list hosts")
	}
	var out []HostProfile
	for rows.Next() {
		h, err := scanHost(rows)
		if err != nil {
			rows.Close()
			return nil, database.MapError(err, "onboarding: list hosts")
		}
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, database.MapError(err, "onboarding: list hosts")
	}
	loads, err := hostLoads(ctx, s.db)
	if err != nil {
		return nil, database.MapError(err, "onboarding: list hosts")
	}
	for i := range out {
		out[i].Load = loads[out[i].ID]
	}
	return out, nil
}

// GetHost returns a partner host with its load; not found when there is none.
func (s *Store) GetHost(ctx context.Context, id string) (*HostProfile, error) {
	h, err := scanHost(s.db.QueryRowContext(ctx, `SELECT `+hostColumns+` FROM hosts h WHERE h.id = $1`, id))
	if err != nil {
		return nil, database.MapError(err, "onboarding: get host")
	}
	loads, err := hostLoads(ctx, s.db)
	if err != nil {
		return nil, database.MapError(err, "onboarding: get host")
	}
	h.Load = loads[h.ID]
	return &h, nil
}

// administers reports whether actor administers the archipelago: only
// administrators create, change or pause hosts.
func administers(actor *accounts.User, op string) error {
	if actor == nil || !actor.Admin() {
		return apperr.New(apperr.NotFound, "error.not_found", op)
	}
	return nil
}

// CreateHost validates the form and stores a new host, open to requests,
// on behalf of actor (an administrator; not found for anyone else). then
// (the audit line), given the host's id, commits in the same transaction.
// Refused values come back as field errors (a slug already taken among
// them); err is for everything else.
func (s *Store) CreateHost(ctx context.Context, actor *accounts.User, f *HostForm, then ...func(id string) database.Then) (string, FieldErrors, error) {
	if err := administers(actor, "onboarding: create host"); err != nil {
		return "", nil, err
	}
	if fe := f.Validate(); len(fe) > 0 {
		return "", fe, nil
	}
	id, now := uuid.NewString(), s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hosts (id, slug, name, website, contact_email, help_url, terms_url, region,
		departements, services, max_associations, storage_budget_gb, default_quota_gb, default_accounts, folder_template,
		welcome_fr, welcome_en, paused, created_at, updated_at, default_account_quota_gb, requests_per_second, jobs_at_once, contact_language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, FALSE, $18, $18, $19, $20, $21, $22)`,
			id, f.Slug, f.Name, f.Website, f.ContactEmail, f.HelpURL, f.TermsURL, f.Region,
			strings.Join(f.departements, ","), strings.Join(f.Services, ","), Number(f.MaxAssociations), Number(f.StorageBudgetGB),
			Number(f.DefaultQuotaGB), Number(f.DefaultAccounts), strings.Join(f.folders, "\n"), f.WelcomeFR, f.WelcomeEN, now,
			max(Number(f.AccountQuotaGB), 1), Number(f.RequestsPerSecond), Number(f.JobsAtOnce), f.ContactLanguage); err != nil {
			return err
		}
		if err := saveTerms(ctx, tx, id, f.TermsText, now); err != nil {
			return err
		}
		for _, fn := range then {
			if err := database.RunThen(tx, []database.Then{fn(id)}); err != nil {
				return err
			}
		}
		return nil
	})
	if database.IsUniqueViolation(err) {
		return "", FieldErrors{{"host_slug", "err.host_slug.taken"}}, nil
	}
	if err != nil {
		return "", nil, database.MapError(err, "onboarding: create host")
	}
	return id, nil, nil
}

// UpdateHost validates the form and changes a host's settings on behalf of
// actor (an administrator; not found for anyone else); then (the audit
// line) commits in the same transaction. The slug never changes: requests
// being filled in refer to the host by it.
func (s *Store) UpdateHost(ctx context.Context, actor *accounts.User, id string, f *HostForm, then ...database.Then) (FieldErrors, error) {
	if err := administers(actor, "onboarding: update host"); err != nil {
		return nil, err
	}
	var slug string
	if err := s.db.QueryRowContext(ctx, `SELECT slug FROM hosts WHERE id = $1`, id).Scan(&slug); err != nil {
		return nil, database.MapError(err, "onboarding: update host")
	}
	f.Slug = slug
	if fe := f.Validate(); len(fe) > 0 {
		return fe, nil
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hosts SET name = $1, website = $2, contact_email = $3, help_url = $4,
		terms_url = $5, region = $6, departements = $7, services = $8, max_associations = $9, storage_budget_gb = $10,
		default_quota_gb = $11, default_accounts = $12, folder_template = $13, welcome_fr = $14, welcome_en = $15,
		updated_at = $16, default_account_quota_gb = $18, requests_per_second = $19, jobs_at_once = $20, contact_language = $21 WHERE id = $17`,
			f.Name, f.Website, f.ContactEmail, f.HelpURL, f.TermsURL, f.Region, strings.Join(f.departements, ","),
			strings.Join(f.Services, ","), Number(f.MaxAssociations), Number(f.StorageBudgetGB), Number(f.DefaultQuotaGB),
			Number(f.DefaultAccounts), strings.Join(f.folders, "\n"), f.WelcomeFR, f.WelcomeEN, now, id,
			max(Number(f.AccountQuotaGB), 1), Number(f.RequestsPerSecond), Number(f.JobsAtOnce), f.ContactLanguage)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sql.ErrNoRows
		}
		if err := saveTerms(ctx, tx, id, f.TermsText, now); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		return nil, database.MapError(err, "onboarding: update host")
	}
	return nil, nil
}

// normalizeTerms is a terms text as stored and digested: line ends as
// "\n", no blank space around it, so that the same text always has the
// same digest.
func normalizeTerms(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// saveTerms records a host's terms text as a new version when it differs
// from the current one. Emptied, the text is a version too (the host then
// shows no terms of its own, as before its first one).
func saveTerms(ctx context.Context, tx *sql.Tx, hostID, text string, now time.Time) error {
	var version int
	var digest string
	err := tx.QueryRowContext(ctx, `SELECT version, digest FROM host_terms WHERE host_id = $1 ORDER BY version DESC LIMIT 1`, hostID).Scan(&version, &digest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	d := TextDigest(text)
	if d == digest || (version == 0 && text == "") {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO host_terms (host_id, version, body, digest, created_at) VALUES ($1, $2, $3, $4, $5)`,
		hostID, version+1, text, d, now)
	return err
}

// HostTerms is one version of a host's terms as Archipel showed them.
type HostTerms struct {
	HostID    string
	Version   int
	Body      string
	Digest    string
	CreatedAt time.Time
}

// HostTermsVersion returns one version of a host's terms; not found when
// the host never had it.
func (s *Store) HostTermsVersion(ctx context.Context, hostID string, version int) (*HostTerms, error) {
	t := HostTerms{HostID: hostID, Version: version}
	err := s.db.QueryRowContext(ctx, `SELECT body, digest, created_at FROM host_terms WHERE host_id = $1 AND version = $2`,
		hostID, version).Scan(&t.Body, &t.Digest, &t.CreatedAt)
	if err != nil {
		return nil, database.MapError(err, "onboarding: host terms")
	}
	return &t, nil
}

// SetHostPaused closes a host to new requests ("registration full") or
// opens it again, on behalf of actor (an administrator; not found for
// anyone else); requests it already has are not affected. then (the audit
// line) commits in the same transaction.
func (s *Store) SetHostPaused(ctx context.Context, actor *accounts.User, id string, paused bool, then ...database.Then) error {
	const op = "onboarding: pause host"
	if err := administers(actor, op); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hosts SET paused = $1, updated_at = $2 WHERE id = $3`, paused, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sql.ErrNoRows
		}
		// The administrator's choice now stands: a ChatonsInfos file turning
		// OPEN again will not lift it.
		if _, err := tx.ExecContext(ctx, `UPDATE host_chatonsinfos SET paused_by_file = FALSE WHERE host_id = $1`, id); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	return database.MapError(err, op)
}

// Connection is the form of a host's Nextcloud connection. The app password
// is not part of it: it is read once, sealed, and never shown back.
type Connection struct {
	URL  string `form:"nc_url"`
	User string `form:"nc_user"`
	// Credential says what the password is: "app_password" (the default) or
	// "login_password" (of a dedicated account, for Nextcloud 33 and later).
	Credential string `form:"nc_credential"`
}

// Validate checks the connection and the app password typed with it. The
// password is asked again whenever the connection is saved: a stored one
// is never sent to an address it was not typed for.
func (c *Connection) Validate(appPassword string) FieldErrors {
	var fe FieldErrors
	c.URL, c.User = strings.TrimRight(clean(c.URL), "/"), clean(c.User)
	switch c.Credential = clean(c.Credential); c.Credential {
	case "":
		c.Credential = "app_password"
	case "app_password", "login_password":
	default:
		fe.add("nc_credential", "nc34.err.credential")
	}
	switch u, err := url.Parse(c.URL); {
	case c.URL == "":
		fe.add("nc_url", "err.nc_url.required")
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || tooLong(c.URL, maxShort):
		fe.add("nc_url", "err.url.invalid")
	case u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())):
		fe.add("nc_url", "err.nc_url.https")
	}
	switch {
	case c.User == "":
		fe.add("nc_user", "err.nc_user.required")
	case tooLong(c.User, 64) || strings.IndexFunc(c.User, unicode.IsControl) >= 0:
		fe.add("nc_user", "err.nc_user.invalid")
	}
	switch {
	case appPassword == "":
		fe.add("nc_password", "err.nc_password.required")
	case len(appPassword) > 256 || strings.IndexFunc(appPassword, unicode.IsControl) >= 0:
		fe.add("nc_password", "err.nc_password.invalid")
	}
	return fe
}

// loopback reports whether a host name is this machine, the only place
// plain http is accepted (a test or demo Nextcloud).
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// HostContact returns a host's name, contact address and the language of
// its e-mails, read inside q (the transaction of the change to tell it of).
func HostContact(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, hostID string) (name, email, lang string, err error) {
	err = q.QueryRowContext(ctx, `SELECT name, contact_email, contact_language FROM hosts WHERE id = $1`, hostID).Scan(&name, &email, &lang)
	return name, email, lang, database.MapError(err, "onboarding: host contact")
}
