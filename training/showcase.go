package training

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
	"archipel/privlink"
)

// ShowcaseStatus is where a showcase entry stands on its way to publication.
type ShowcaseStatus string

// The statuses of a showcase entry. Only the association moves an entry to
// published, refused or withdrawn, through its private link.
const (
	// ShowcaseDraft is being written by the host; the association has not
	// been asked yet.
	ShowcaseDraft ShowcaseStatus = "draft"
	// ShowcasePending waits for the association's decision on the current
	// version of the text.
	ShowcasePending ShowcaseStatus = "pending"
	// ShowcasePublished is public: the association consented to this very
	// version of the text.
	ShowcasePublished ShowcaseStatus = "published"
	// ShowcaseRefused was refused by the association.
	ShowcaseRefused ShowcaseStatus = "refused"
	// ShowcaseWithdrawn was published, then withdrawn by the association.
	ShowcaseWithdrawn ShowcaseStatus = "withdrawn"
)

// ShowcaseStatuses lists the statuses, for labels.
var ShowcaseStatuses = []ShowcaseStatus{ShowcaseDraft, ShowcasePending, ShowcasePublished, ShowcaseRefused, ShowcaseWithdrawn}

// Decision is what the association answers through its private link.
type Decision string

// The decisions recorded in showcase_consents.
const (
	DecisionGiven     Decision = "given"
	DecisionRefused   Decision = "refused"
	DecisionWithdrawn Decision = "withdrawn"
)

// Licence is the licence under which the published texts may be reused.
type Licence struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// ShowcaseLicence is the licence of every published text and of the open
// data; the association consents to it together with the text.
var ShowcaseLicence = Licence{
	ID:   "CC-BY-SA-4.0",
	Name: "Creative Commons Attribution-ShareAlike 4.0 International",
	URL:  "https://creativecommons.org/licenses/by-sa/4.0/",
}

// Limits of a showcase text, in characters.
const (
	MaxShowcaseName  = 200
	MaxShowcaseTown  = 100
	MaxShowcaseStory = 2000
	MaxShowcaseQuote = 500
)

// ShowcaseText is what is published of an association: what the host
// writes and the association consents to, word for word.
type ShowcaseText struct {
	Association string   `form:"showcase_name"`
	Town        string   `form:"showcase_town"`
	Departement string   `form:"showcase_departement"`
	Story       string   `form:"showcase_story"` // what they had, what changed
	Quote       string   `form:"showcase_quote"`
	Services    []string `form:"showcase_services"`
}

// cleanText trims a text, turns CRLF into LF and drops control characters
// (they have no place in a page, a feed or a CSV cell); line breaks are
// kept only where multiline is true.
func cleanText(s string, multiline bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && multiline:
			return r
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r), r == utf8.RuneError, r == '\u2028', r == '\u2029':
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// Normalize cleans the text as it will be stored.
func (t *ShowcaseText) Normalize() {
	t.Association = cleanText(t.Association, false)
	t.Town = cleanText(t.Town, false)
	t.Departement = strings.ToUpper(cleanText(t.Departement, false))
	t.Story = cleanText(t.Story, true)
	t.Quote = cleanText(t.Quote, true)
	var svcs []string
	for _, s := range t.Services {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(svcs, s) {
			svcs = append(svcs, s)
		}
	}
	// Stored in the questionnaire's order, so that the digest does not
	// depend on the order of the boxes.
	slices.SortFunc(svcs, func(a, b string) int {
		return slices.Index(onboarding.Services, a) - slices.Index(onboarding.Services, b)
	})
	t.Services = svcs
}

// Validate normalizes the text and checks it; the keys name the form's
// fields.
func (t *ShowcaseText) Validate() onboarding.FieldErrors {
	t.Normalize()
	var fe onboarding.FieldErrors
	add := func(field, key string) { fe = append(fe, onboarding.FieldError{Field: field, Key: key}) }
	text := func(field, v string, required bool, max int, requiredKey string) {
		switch {
		case v == "" && required:
			add(field, requiredKey)
		case utf8.RuneCountInString(v) > max:
			add(field, "err.too_long")
		}
	}
	line := func(field, v string, required bool, max int, requiredKey string) {
		if accounts.HasControl(v) {
			add(field, "err.control_chars")
			return
		}
		text(field, v, required, max, requiredKey)
	}
	line("showcase_name", t.Association, true, MaxShowcaseName, "err.showcase.name_required")
	line("showcase_town", t.Town, true, MaxShowcaseTown, "err.showcase.town_required")
	if _, ok := onboarding.LookupDepartement(t.Departement); !ok {
		add("showcase_departement", "err.showcase.departement")
	}
	text("showcase_story", t.Story, true, MaxShowcaseStory, "err.showcase.story_required")
	text("showcase_quote", t.Quote, false, MaxShowcaseQuote, "")
	for _, s := range t.Services {
		if !slices.Contains(onboarding.Services, s) {
			add("showcase_services", "err.choice")
			break
		}
	}
	return fe
}

// Region is the region of the text's département.
func (t *ShowcaseText) Region() string {
	d, _ := onboarding.LookupDepartement(t.Departement)
	return d.Region
}

// Digest is the SHA-256 of everything the association reads before
// consenting: the text, the region derived from it and the logo (by its
// own digest). It is recorded with every decision.
func (t ShowcaseText) Digest(logoDigest string) string {
	b, _ := json.Marshal(struct {
		Association, Town, Departement, Region, Story, Quote string
		Services                                             []string
		Logo                                                 string
	}{t.Association, t.Town, t.Departement, t.Region(), t.Story, t.Quote, t.Services, logoDigest})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ShowcaseEntry is the public story of an association whose case
// succeeded, with where it stands on its way to publication.
type ShowcaseEntry struct {
	ID       string
	CaseID   string
	HostID   string
	HostSlug string
	HostName string
	Text     ShowcaseText
	Region   string
	// Logo is set only by the calls that say they load it.
	Logo           []byte
	LogoDigest     string
	LogoWidth      int
	LogoHeight     int
	Status         ShowcaseStatus
	Version        int // of the text; every change bumps it
	ConsentVersion int // the version the association consented to, 0 if none
	DecidedVersion int // the version of the association's last decision
	TextDigest     string
	PublishedAt    time.Time // first publication
	WithdrawnAt    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Published reports whether the entry is public: the association consented
// to its current version and has not withdrawn.
func (e *ShowcaseEntry) Published() bool {
	return e.Status == ShowcasePublished && e.ConsentVersion == e.Version
}

// HasLogo reports whether the entry has a logo.
func (e *ShowcaseEntry) HasLogo() bool { return e.LogoDigest != "" }

// DepartementName is the name of the entry's département ("Rhône").
func (e *ShowcaseEntry) DepartementName() string {
	d, _ := onboarding.LookupDepartement(e.Text.Departement)
	return d.Name
}

// CanAsk reports whether the host may (again) ask the association for its
// consent: a refusal or a withdrawal is final for the version it was about.
func (e *ShowcaseEntry) CanAsk() bool {
	switch e.Status {
	case ShowcaseRefused, ShowcaseWithdrawn:
		return e.Version > e.DecidedVersion
	}
	return true
}

// ShowcaseConsent is one decision of the association, as recorded.
type ShowcaseConsent struct {
	ID           int64
	EntryVersion int
	Decision     Decision
	TextDigest   string
	LinkHash     string // which link it was given through
	At           time.Time
}

// Showcase keeps the showcase entries, the association's decisions, and
// answers the public pages, feed and open data.
type Showcase struct {
	db    *database.DB
	now   func() time.Time
	cases *Store
	// stamp is Stamp's statement, prepared once: every public answer
	// starts with it.
	stampMu sync.Mutex
	stamp   atomic.Pointer[sql.Stmt]
}

// NewShowcase returns a Showcase; now may be nil (time.Now).
func NewShowcase(db *database.DB, now func() time.Time) *Showcase {
	cases := NewStore(db, now)
	return &Showcase{db: db, now: cases.now, cases: cases}
}

// Case returns a case, for the pages that draft its entry.
func (s *Showcase) Case(ctx context.Context, actor *accounts.User, id string) (*Case, error) {
	return s.cases.ForStaff(ctx, actor, id)
}

// Eligible reports whether a case may have a showcase entry: it closed as
// a success.
func Eligible(c *Case) bool {
	return c.Stage == StageClosed && c.Outcome == OutcomeSuccess
}

// DraftFor is a new entry's text, taken from the case.
func DraftFor(c *Case) ShowcaseText {
	t := ShowcaseText{Association: c.Association, Town: c.Town, Departement: c.Departement, Services: c.Services}
	t.Normalize()
	return t
}

const entryColumns = `e.id, e.case_id, e.host_id, h.slug, h.name, e.association_name, e.town, e.departement, e.region, e.story, e.quote,
	e.services, e.logo_digest, e.logo_width, e.logo_height, e.status, e.version, e.consent_version, e.decided_version,
	e.text_digest, e.published_at, e.withdrawn_at, e.created_at, e.updated_at`

func scanEntry(row interface{ Scan(...any) error }) (*ShowcaseEntry, error) {
	var e ShowcaseEntry
	var services string
	var published, withdrawn sql.NullTime
	dest := []any{&e.ID, &e.CaseID, &e.HostID, &e.HostSlug, &e.HostName, &e.Text.Association, &e.Text.Town, &e.Text.Departement,
		&e.Region, &e.Text.Story, &e.Text.Quote, &services, &e.LogoDigest, &e.LogoWidth, &e.LogoHeight, &e.Status, &e.Version,
		&e.ConsentVersion, &e.DecidedVersion, &e.TextDigest, &published, &withdrawn, &e.CreatedAt, &e.UpdatedAt}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	e.Text.Services = splitServices(services)
	e.PublishedAt, e.WithdrawnAt = published.Time, withdrawn.Time
	return &e, nil
}

func splitServices(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ForCase returns the entry of a case, with its logo; not found when none
// was drafted.
func (s *Showcase) ForCase(ctx context.Context, caseID string) (*ShowcaseEntry, error) {
	e, err := scanEntry(s.db.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM showcase_entries e
		JOIN hosts h ON h.id = e.host_id WHERE e.case_id = $1`, caseID))
	if err != nil {
		return nil, database.MapError(err, "training: showcase entry of case")
	}
	return s.withLogo(ctx, e)
}

// withLogo loads the logo of an entry read without it.
func (s *Showcase) withLogo(ctx context.Context, e *ShowcaseEntry) (*ShowcaseEntry, error) {
	if !e.HasLogo() {
		return e, nil
	}
	err := s.db.QueryRowContext(ctx, `SELECT logo FROM showcase_entries WHERE id = $1`, e.ID).Scan(&e.Logo)
	return e, database.MapError(err, "training: showcase logo")
}

// SaveResult says what a change to an entry did.
type SaveResult struct {
	Changed bool // the text differs: a new version
	// Reconsent is set when the entry was public: it is not any more, and
	// the association must be asked again.
	Reconsent bool
}

// mayEdit checks that actor may write the showcase entry of a case of
// hostID: those who may record its sessions (Case.MayRecord). Not found
// for another host's, forbidden for a role of the host that may not.
func mayEdit(actor *accounts.User, hostID, op string) error {
	c := &Case{HostID: hostID}
	return c.refuse(actor, c.MayRecord(actor), "error.forbidden", op)
}

// Save creates or changes the entry of a case closed as a success, on
// behalf of actor (see mayEdit). version is the version the form was based
// on (0 for a new entry): a stale one is a conflict. A change to a
// published text unpublishes it until the association consents again.
// then (the audit line), given the entry, commits with the change; a text
// saved unchanged writes nothing, and runs no then.
func (s *Showcase) Save(ctx context.Context, actor *accounts.User, c *Case, text ShowcaseText, version int, then ...func(*ShowcaseEntry) database.Then) (*ShowcaseEntry, SaveResult, error) {
	if err := mayEdit(actor, c.HostID, "training: save showcase entry"); err != nil {
		return nil, SaveResult{}, err
	}
	if !Eligible(c) {
		return nil, SaveResult{}, apperr.New(apperr.Conflict, "err.showcase.not_success", "training: save showcase entry")
	}
	if fe := text.Validate(); len(fe) > 0 {
		return nil, SaveResult{}, apperr.New(apperr.Invalid, fe[0].Key, "training: save showcase entry")
	}
	e, err := s.ForCase(ctx, c.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		if version != 0 {
			return nil, SaveResult{}, apperr.New(apperr.Conflict, "err.showcase.changed", "training: save showcase entry")
		}
		e, err = s.create(ctx, actor, c, text, then)
		return e, SaveResult{Changed: true}, err
	}
	if err != nil {
		return nil, SaveResult{}, err
	}
	if e.Version != version {
		return e, SaveResult{}, apperr.New(apperr.Conflict, "err.showcase.changed", "training: save showcase entry")
	}
	res, err := s.change(ctx, actor, e, text, e.LogoDigest, nil, false, then)
	return e, res, err
}

func (s *Showcase) create(ctx context.Context, actor *accounts.User, c *Case, text ShowcaseText, then []func(*ShowcaseEntry) database.Then) (*ShowcaseEntry, error) {
	now := s.now()
	e := &ShowcaseEntry{ID: uuid.NewString(), CaseID: c.ID, HostID: c.HostID, Text: text, Region: text.Region(),
		Status: ShowcaseDraft, Version: 1, TextDigest: text.Digest(""), CreatedAt: now, UpdatedAt: now}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := inScope(ctx, tx, actor, c.ID, "training: create showcase entry"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO showcase_entries (id, case_id, host_id, association_name, town, departement, region,
			story, quote, services, status, version, text_digest, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $13)`,
			e.ID, c.ID, c.HostID, text.Association, text.Town, text.Departement, e.Region, text.Story, text.Quote,
			strings.Join(text.Services, ","), ShowcaseDraft, e.TextDigest, now); err != nil {
			return err
		}
		if err := bump(ctx, tx, now); err != nil {
			return err
		}
		return runWith(tx, e, then)
	})
	if database.IsUniqueViolation(err) {
		return nil, apperr.Wrap(apperr.Conflict, "err.showcase.changed", "training: create showcase entry", err)
	}
	if err != nil {
		return nil, database.MapError(err, "training: create showcase entry")
	}
	return s.ForCase(ctx, c.ID)
}

// publishServices writes the public index of a published entry's services;
// unpublishServices removes it when the entry stops being public.
func publishServices(ctx context.Context, tx *sql.Tx, entryID string, services []string, publishedAt time.Time) error {
	if err := unpublishServices(ctx, tx, entryID); err != nil {
		return err
	}
	for _, svc := range services {
		if _, err := tx.ExecContext(ctx, `INSERT INTO showcase_entry_services (entry_id, service, published_at) VALUES ($1, $2, $3)`,
			entryID, svc, publishedAt); err != nil {
			return err
		}
	}
	return nil
}

func unpublishServices(ctx context.Context, tx *sql.Tx, entryID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM showcase_entry_services WHERE entry_id = $1`, entryID)
	return err
}

// bump records that the showcase changed, in the transaction of the change.
func bump(ctx context.Context, tx *sql.Tx, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE showcase_state SET revision = revision + 1,
		changed_at = CASE WHEN changed_at IS NULL OR changed_at < $1 THEN $1 ELSE changed_at END WHERE id = 1`, now)
	return err
}

// change writes a new text and logo over e (as read, version and status
// included: a concurrent change is a conflict); logo is written only when
// setLogo is true. Nothing is written when the digest is the same. then
// (the audit line), given the entry, commits with the change.
func (s *Showcase) change(ctx context.Context, actor *accounts.User, e *ShowcaseEntry, text ShowcaseText, logoDigest string, logo *logoImage, setLogo bool,
	then []func(*ShowcaseEntry) database.Then) (SaveResult, error) {
	digest := text.Digest(logoDigest)
	if digest == e.TextDigest {
		return SaveResult{}, nil
	}
	res := SaveResult{Changed: true, Reconsent: e.Status == ShowcasePublished}
	status := e.Status
	if status == ShowcasePublished {
		status = ShowcasePending
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := inScope(ctx, tx, actor, e.CaseID, "training: change showcase entry"); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE showcase_entries SET association_name = $1, town = $2, departement = $3, region = $4,
			story = $5, quote = $6, services = $7, text_digest = $8, status = $9, version = version + 1, updated_at = $10
			WHERE id = $11 AND version = $12 AND status = $13`,
			text.Association, text.Town, text.Departement, text.Region(), text.Story, text.Quote, strings.Join(text.Services, ","),
			digest, status, now, e.ID, e.Version, e.Status)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.showcase.changed", "training: change showcase entry")
		}
		if setLogo {
			var data []byte
			var w, h int
			kind := ""
			if logo != nil {
				data, w, h, kind = logo.PNG, logo.Width, logo.Height, "image/png"
			}
			if _, err := tx.ExecContext(ctx, `UPDATE showcase_entries SET logo = $1, logo_type = $2, logo_digest = $3, logo_width = $4, logo_height = $5
				WHERE id = $6`, data, kind, logoDigest, w, h, e.ID); err != nil {
				return err
			}
		}
		if err := unpublishServices(ctx, tx, e.ID); err != nil {
			return err
		}
		if err := bump(ctx, tx, now); err != nil {
			return err
		}
		return runWith(tx, e, then)
	})
	if err != nil {
		return SaveResult{}, database.MapError(err, "training: change showcase entry")
	}
	e.Text, e.Region, e.TextDigest, e.Status, e.UpdatedAt = text, text.Region(), digest, status, now
	e.Version++
	if setLogo {
		e.LogoDigest, e.Logo, e.LogoWidth, e.LogoHeight = logoDigest, nil, 0, 0
		if logo != nil {
			e.Logo, e.LogoWidth, e.LogoHeight = logo.PNG, logo.Width, logo.Height
		}
	}
	return res, nil
}

// SetLogo checks, re-encodes and stores an uploaded logo (see DecodeLogo)
// on behalf of actor (see mayEdit); like any change it needs the
// association's consent again. then (the audit line) commits with it.
func (s *Showcase) SetLogo(ctx context.Context, actor *accounts.User, e *ShowcaseEntry, version int, raw []byte, then ...func(*ShowcaseEntry) database.Then) (SaveResult, error) {
	if err := mayEdit(actor, e.HostID, "training: set showcase logo"); err != nil {
		return SaveResult{}, err
	}
	logo, err := DecodeLogo(raw)
	if err != nil {
		return SaveResult{}, err
	}
	if e.Version != version {
		return SaveResult{}, apperr.New(apperr.Conflict, "err.showcase.changed", "training: set showcase logo")
	}
	return s.change(ctx, actor, e, e.Text, logo.Digest(), logo, true, then)
}

// RemoveLogo takes the logo off an entry on behalf of actor (see mayEdit);
// then (the audit line) commits with it.
func (s *Showcase) RemoveLogo(ctx context.Context, actor *accounts.User, e *ShowcaseEntry, version int, then ...func(*ShowcaseEntry) database.Then) (SaveResult, error) {
	if err := mayEdit(actor, e.HostID, "training: remove showcase logo"); err != nil {
		return SaveResult{}, err
	}
	if e.Version != version {
		return SaveResult{}, apperr.New(apperr.Conflict, "err.showcase.changed", "training: remove showcase logo")
	}
	return s.change(ctx, actor, e, e.Text, "", nil, true, then)
}

// AskConsent creates a private link for the association (256 random bits,
// only its hash stored; earlier links keep working) and marks the entry as
// waiting for its decision; it returns the link's token. then, given the
// token (the e-mail carrying it, the audit line), commits in the same
// transaction: all of it or nothing. A refused or withdrawn text cannot be
// asked about again.
func (s *Showcase) AskConsent(ctx context.Context, e *ShowcaseEntry, then ...func(token string) database.Then) (string, error) {
	if !e.CanAsk() {
		return "", apperr.New(apperr.Conflict, "err.showcase.decided", "training: ask consent")
	}
	token, hash := privlink.New()
	now := s.now()
	status := e.Status
	if status != ShowcasePublished {
		status = ShowcasePending
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE showcase_entries SET status = $1, updated_at = $2 WHERE id = $3 AND version = $4 AND status = $5`,
			status, now, e.ID, e.Version, e.Status)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.showcase.changed", "training: ask consent")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO showcase_links (hash, entry_id, created_at) VALUES ($1, $2, $3)`, hash, e.ID, now); err != nil {
			return err
		}
		if err := bump(ctx, tx, now); err != nil {
			return err
		}
		for _, fn := range then {
			if err := database.RunThen(tx, []database.Then{fn(token)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", database.MapError(err, "training: ask consent")
	}
	e.Status, e.UpdatedAt = status, now
	return token, nil
}

// ByLink returns the entry a private link opens, with its logo, and the
// link's hash; an unknown link is not found.
func (s *Showcase) ByLink(ctx context.Context, token string) (*ShowcaseEntry, string, error) {
	if len(token) < 40 || len(token) > 64 {
		return nil, "", apperr.New(apperr.NotFound, "err.showcase.link_unknown", "training: showcase link")
	}
	hash := privlink.Hash(token)
	e, err := scanEntry(s.db.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM showcase_entries e JOIN hosts h ON h.id = e.host_id
		JOIN showcase_links l ON l.entry_id = e.id WHERE l.hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", apperr.Wrap(apperr.NotFound, "err.showcase.link_unknown", "training: showcase link", err)
	}
	if err != nil {
		return nil, "", database.MapError(err, "training: showcase link")
	}
	e, err = s.withLogo(ctx, e)
	return e, hash, err
}

// Consent records the association's consent to the version it read
// (shownVersion), after it possibly rewrote its quote: the entry is public
// from now on. A text changed meanwhile is a conflict: it must be read
// again.
func (s *Showcase) Consent(ctx context.Context, token string, shownVersion int, quote string) (*ShowcaseEntry, error) {
	e, hash, err := s.ByLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if e.Version != shownVersion {
		return e, apperr.New(apperr.Conflict, "err.showcase.changed", "training: consent")
	}
	text := e.Text
	text.Quote = quote
	if fe := text.Validate(); len(fe) > 0 {
		return e, apperr.New(apperr.Invalid, fe[0].Key, "training: consent")
	}
	if e.Published() && text.Quote == e.Text.Quote {
		return e, nil
	}
	version := e.Version
	digest := text.Digest(e.LogoDigest)
	if digest != e.TextDigest {
		version++
	}
	now := s.now()
	publishedAt := e.PublishedAt
	if publishedAt.IsZero() {
		publishedAt = now
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE showcase_entries SET quote = $1, text_digest = $2, version = $3, consent_version = $3,
			decided_version = $3, status = $4, published_at = $5, withdrawn_at = NULL, updated_at = $6
			WHERE id = $7 AND version = $8 AND status = $9`,
			text.Quote, digest, version, ShowcasePublished, publishedAt, now, e.ID, e.Version, e.Status)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.showcase.changed", "training: consent")
		}
		if err := record(ctx, tx, e.ID, version, DecisionGiven, digest, hash, now); err != nil {
			return err
		}
		if err := publishServices(ctx, tx, e.ID, text.Services, publishedAt); err != nil {
			return err
		}
		return bump(ctx, tx, now)
	})
	if err != nil {
		return e, database.MapError(err, "training: consent")
	}
	e.Text, e.TextDigest, e.Version, e.ConsentVersion, e.DecidedVersion, e.Status = text, digest, version, version, version, ShowcasePublished
	e.PublishedAt, e.WithdrawnAt, e.UpdatedAt = publishedAt, time.Time{}, now
	return e, nil
}

// Refuse records that the association does not want this version
// published; a published entry is withdrawn.
func (s *Showcase) Refuse(ctx context.Context, token string, shownVersion int) (*ShowcaseEntry, error) {
	e, _, err := s.ByLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if e.Published() {
		return s.Withdraw(ctx, token)
	}
	if e.Version != shownVersion {
		return e, apperr.New(apperr.Conflict, "err.showcase.changed", "training: refuse")
	}
	return e, s.decide(ctx, token, e, ShowcaseRefused, DecisionRefused)
}

// Withdraw takes a published entry off every page, feed and API answer at
// once; it works whatever the entry's version.
func (s *Showcase) Withdraw(ctx context.Context, token string) (*ShowcaseEntry, error) {
	e, _, err := s.ByLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if e.Status != ShowcasePublished {
		return e, nil
	}
	return e, s.decide(ctx, token, e, ShowcaseWithdrawn, DecisionWithdrawn)
}

func (s *Showcase) decide(ctx context.Context, token string, e *ShowcaseEntry, status ShowcaseStatus, d Decision) error {
	now := s.now()
	hash := privlink.Hash(token)
	var withdrawn sql.NullTime
	if status == ShowcaseWithdrawn {
		withdrawn = sql.NullTime{Time: now, Valid: true}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Only the status is compared: a withdrawal must go through even
		// if the host changed the text meanwhile.
		r, err := tx.ExecContext(ctx, `UPDATE showcase_entries SET status = $1, decided_version = version, withdrawn_at = $2, updated_at = $3
			WHERE id = $4 AND status = $5`, status, withdrawn, now, e.ID, e.Status)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.showcase.changed", "training: showcase decision")
		}
		var version int
		var digest string
		if err := tx.QueryRowContext(ctx, `SELECT version, text_digest FROM showcase_entries WHERE id = $1`, e.ID).Scan(&version, &digest); err != nil {
			return err
		}
		if err := record(ctx, tx, e.ID, version, d, digest, hash, now); err != nil {
			return err
		}
		e.DecidedVersion = version
		if err := unpublishServices(ctx, tx, e.ID); err != nil {
			return err
		}
		return bump(ctx, tx, now)
	})
	if err != nil {
		return database.MapError(err, "training: showcase decision")
	}
	e.Status, e.UpdatedAt, e.WithdrawnAt = status, now, withdrawn.Time
	return nil
}

func record(ctx context.Context, tx *sql.Tx, entryID string, version int, d Decision, digest, linkHash string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO showcase_consents (entry_id, entry_version, decision, text_digest, token_hash, at)
		VALUES ($1, $2, $3, $4, $5, $6)`, entryID, version, d, digest, linkHash, at)
	return err
}

// Consents returns the association's decisions on an entry, oldest first.
func (s *Showcase) Consents(ctx context.Context, entryID string) ([]ShowcaseConsent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, entry_version, decision, text_digest, token_hash, at FROM showcase_consents
		WHERE entry_id = $1 ORDER BY id`, entryID)
	if err != nil {
		return nil, database.MapError(err, "training: showcase consents")
	}
	defer rows.Close()
	var out []ShowcaseConsent
	for rows.Next() {
		var c ShowcaseConsent
		if err := rows.Scan(&c.ID, &c.EntryVersion, &c.Decision, &c.TextDigest, &c.LinkHash, &c.At); err != nil {
			return nil, database.MapError(err, "training: showcase consents")
		}
		out = append(out, c)
	}
	return out, database.MapError(rows.Err(), "training: showcase consents")
}

// Paragraphs splits a story or a quote into its paragraphs, as written.
func Paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// StoryParagraphs are the paragraphs of the story.
func (t ShowcaseText) StoryParagraphs() []string { return Paragraphs(t.Story) }

// QuoteParagraphs are the paragraphs of the quote.
func (t ShowcaseText) QuoteParagraphs() []string { return Paragraphs(t.Quote) }

// Summary is the beginning of the story, for listings: its first
// paragraph, cut at a word near 280 characters.
func (t ShowcaseText) Summary() string {
	ps := Paragraphs(t.Story)
	if len(ps) == 0 {
		return ""
	}
	s := []rune(ps[0])
	if len(s) <= 280 {
		return ps[0]
	}
	cut := 280
	for cut > 200 && s[cut] != ' ' {
		cut--
	}
	return strings.TrimSpace(string(s[:cut])) + "…"
}

// LogoBox is the size a logo is shown at on the pages (half its pixels,
// for sharp screens, at most 160 wide or high).
func (e *ShowcaseEntry) LogoBox() (w, h int) {
	w, h = (e.LogoWidth+1)/2, (e.LogoHeight+1)/2
	if w > 160 || h > 160 {
		if w >= h {
			w, h = 160, max(1, h*160/w)
		} else {
			w, h = max(1, w*160/h), 160
		}
	}
	return w, h
}

// LogoShownWidth is the width of LogoBox, for templates.
func (e *ShowcaseEntry) LogoShownWidth() int { w, _ := e.LogoBox(); return w }

// LogoShownHeight is the height of LogoBox, for templates.
func (e *ShowcaseEntry) LogoShownHeight() int { _, h := e.LogoBox(); return h }
