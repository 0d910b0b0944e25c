package onboarding

import (
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"archipel/accounts"
)

// Step is one page of the guided flow.
type Step int

// The six steps of the flow.
const (
	StepAssociation Step = iota + 1
	StepMembers
	StepTools
	StepNeeds
	StepHost
	StepReview
)

// StepCount is the number of steps, shown as "Étape 2 sur 6".
const StepCount = 6

var stepSlugs = map[Step]string{
	StepAssociation: "association",
	StepMembers:     "membres",
	StepTools:       "outils",
	StepNeeds:       "besoins",
	StepHost:        "hebergeur",
	StepReview:      "recapitulatif",
}

// Slug is the step's path segment.
func (s Step) Slug() string { return stepSlugs[s] }

// StepFromSlug finds a step by its path segment.
func StepFromSlug(slug string) (Step, bool) {
	for s, v := range stepSlugs {
		if v == slug {
			return s, true
		}
	}
	return 0, false
}

// Choices offered by the questionnaire; values are stored, labels translated.
var (
	LegalForms     = []string{"loi1901", "alsace_moselle", "collectif", "fondation", "autre"}
	Sectors        = []string{"culture", "sport", "social", "education", "environment", "health", "humanitarian", "leisure", "advocacy", "other"}
	Tools          = []string{"google_drive", "dropbox", "whatsapp", "facebook_groups", "doodle", "gmail", "microsoft365", "other"}
	Services       = []string{"files", "calendars", "contacts", "video", "office", "forms", "polls", "tasks"}
	Timings        = []string{"asap", "month", "quarter", "later"}
	Contributions  = []string{"free", "pwyc", "membership"}
	FeeRanges      = []string{"lt50", "50_150", "150_300", "gt300"}
	YesNo          = []string{"yes", "no"}
	HostChoiceAuto = "auto"
)

// Answers are everything the association told us, step by step. Values are
// kept as typed (strings), so a refused form shows exactly what was entered.
type Answers struct {
	Association AssociationStep `json:"association"`
	Members     MembersStep     `json:"members"`
	Tools       ToolsStep       `json:"tools"`
	Needs       NeedsStep       `json:"needs"`
	Host        HostStep        `json:"host"`
	Consent     ConsentStep     `json:"consent"`
}

// AssociationStep is "Votre association".
type AssociationStep struct {
	Name         string `form:"name" json:"name"`
	LegalForm    string `form:"legal_form" json:"legal_form"`
	LegalID      string `form:"legal_id" json:"legal_id"`
	Postcode     string `form:"postcode" json:"postcode"`
	Town         string `form:"town" json:"town"`
	Website      string `form:"website" json:"website"`
	Purpose      string `form:"purpose" json:"purpose"`
	Sector       string `form:"sector" json:"sector"`
	ContactEmail string `form:"contact_email" json:"contact_email"`
	// Derived on validation.
	LegalIDKind string `form:"-" json:"legal_id_kind,omitempty"`
	Departement string `form:"-" json:"departement,omitempty"`
}

// MembersStep is "Vos membres".
type MembersStep struct {
	Members       string `form:"members" json:"members"`
	Volunteers    string `form:"volunteers" json:"volunteers"`
	Employees     string `form:"employees" json:"employees"`
	ContactName   string `form:"contact_name" json:"contact_name"`
	ContactRole   string `form:"contact_role" json:"contact_role"`
	ContactPhone  string `form:"contact_phone" json:"contact_phone"`
	Accessibility string `form:"accessibility" json:"accessibility"`
}

// ToolsStep is "Vos outils aujourd'hui".
type ToolsStep struct {
	Tools     []string `form:"tools" json:"tools"`
	ToolOther string   `form:"tool_other" json:"tool_other"`
	Problems  string   `form:"problems" json:"problems"`
	DataGB    string   `form:"data_gb" json:"data_gb"`
}

// NeedsStep is "Vos besoins".
type NeedsStep struct {
	Services       []string `form:"services" json:"services"`
	Accounts       string   `form:"accounts" json:"accounts"`
	StorageGB      string   `form:"storage_gb" json:"storage_gb"`
	When           string   `form:"when" json:"when"`
	Training       string   `form:"training" json:"training"`
	TrainingTopics string   `form:"training_topics" json:"training_topics"`
}

// HostStep is "Votre hébergeur".
type HostStep struct {
	Choice       string `form:"host" json:"host"`
	Contribution string `form:"contribution" json:"contribution"`
	FeeRange     string `form:"fee_range" json:"fee_range"`
}

// ConsentStep is what the association agrees to on "Récapitulatif".
type ConsentStep struct {
	DataProcessing string `form:"consent_data" json:"consent_data"`
	HostTerms      string `form:"consent_terms" json:"consent_terms"`
	FollowUp       string `form:"consent_contact" json:"consent_contact"`
	// Terms is which text "I accept" meant, recorded when the request is
	// sent (see TermsFor).
	Terms *AcceptedTerms `form:"-" json:"terms,omitempty"`
}

// FieldError says which field is wrong and the message key that says why.
type FieldError struct {
	Field string
	Key   string
}

// FieldErrors are a form's errors in the order of its fields.
type FieldErrors []FieldError

// For returns the message key for a field, or "".
func (fe FieldErrors) For(field string) string {
	for _, e := range fe {
		if e.Field == field {
			return e.Key
		}
	}
	return ""
}

func (fe *FieldErrors) add(field, key string) { *fe = append(*fe, FieldError{field, key}) }

// Length limits of free-text fields, in characters.
const (
	maxShort = 200
	maxLong  = 2000
)

var phoneRe = regexp.MustCompile(`^\+?[0-9 .()-]{6,25}$`)

func clean(s string) string { return strings.TrimSpace(s) }

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if v == x {
			return true
		}
	}
	return false
}

// text checks a free-text field: required or not, and its length.
// line checks a single-line text: text's rules, and no control character
// (a tab or a line break would break the e-mail headers and the lines the
// value is written into). The value is kept as typed, to show it back.
func (fe *FieldErrors) line(field, v string, required bool, max int) {
	if accounts.HasControl(v) {
		fe.add(field, "err.control_chars")
		return
	}
	fe.text(field, v, required, max)
}

func (fe *FieldErrors) text(field, v string, required bool, max int) {
	switch {
	case required && v == "":
		fe.add(field, "err."+field+".required")
	case tooLong(v, max):
		fe.add(field, "err.too_long")
	}
}

// choice checks a value against its list.
func (fe *FieldErrors) choice(field, v string, list []string, required bool) {
	if v == "" {
		if required {
			fe.add(field, "err."+field+".required")
		}
		return
	}
	if !oneOf(v, list) {
		fe.add(field, "err.choice")
	}
}

// number checks a whole number between min and max.
func (fe *FieldErrors) number(field, v string, required bool, min, max int) {
	if v == "" {
		if required {
			fe.add(field, "err."+field+".required")
		}
		return
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, " ", ""))
	if err != nil {
		fe.add(field, "err.number")
		return
	}
	if n < min || n > max {
		fe.add(field, fmt.Sprintf("err.%s.range", field))
	}
}

// Validate checks "Votre association" and fills the derived fields.
func (s *AssociationStep) Validate() FieldErrors {
	var fe FieldErrors
	s.Name, s.Town, s.Purpose = clean(s.Name), clean(s.Town), clean(s.Purpose)
	s.LegalID, s.Postcode, s.Website = clean(s.LegalID), clean(s.Postcode), clean(s.Website)
	s.ContactEmail = clean(s.ContactEmail)
	fe.line("name", s.Name, true, maxShort)
	fe.choice("legal_form", s.LegalForm, LegalForms, true)
	s.LegalIDKind = ""
	if s.LegalID != "" {
		if tooLong(s.LegalID, 40) {
			fe.add("legal_id", "err.too_long")
		} else if kind, canon, ok := NormalizeLegalID(s.LegalID); ok {
			s.LegalIDKind, s.LegalID = kind, canon
		} else {
			fe.add("legal_id", "err.legal_id.invalid")
		}
	}
	s.Departement = ""
	switch {
	case s.Postcode == "":
		fe.add("postcode", "err.postcode.required")
	default:
		if d, ok := DepartementFromPostcode(s.Postcode); ok {
			s.Departement = d
		} else {
			fe.add("postcode", "err.postcode.invalid")
		}
	}
	fe.line("town", s.Town, true, 100)
	if s.Website != "" {
		if w, ok := normalizeWebsite(s.Website); ok {
			s.Website = w
		} else {
			fe.add("website", "err.website.invalid")
		}
	}
	fe.text("purpose", s.Purpose, true, maxLong)
	fe.choice("sector", s.Sector, Sectors, true)
	if s.ContactEmail == "" {
		fe.add("contact_email", "err.contact_email.required")
	} else if e, ok := NormalizeEmail(s.ContactEmail); ok {
		s.ContactEmail = e
	} else {
		fe.add("contact_email", "err.contact_email.invalid")
	}
	return fe
}

// NormalizeEmail checks a bare address (no display name) and lower-cases its
// domain.
func NormalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at:], ".") {
		return "", false
	}
	return s[:at] + strings.ToLower(s[at:]), true
}

func normalizeWebsite(s string) (string, bool) {
	if tooLong(s, maxShort) {
		return "", false
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Hostname(), ".") || u.User != nil {
		return "", false
	}
	return u.String(), true
}

// Validate checks "Vos membres".
func (s *MembersStep) Validate() FieldErrors {
	var fe FieldErrors
	s.Members, s.Volunteers, s.Employees = clean(s.Members), clean(s.Volunteers), clean(s.Employees)
	s.ContactName, s.ContactRole, s.ContactPhone = clean(s.ContactName), clean(s.ContactRole), clean(s.ContactPhone)
	s.Accessibility = clean(s.Accessibility)
	fe.number("members", s.Members, true, 1, 1000000)
	fe.number("volunteers", s.Volunteers, true, 0, 1000000)
	fe.number("employees", s.Employees, true, 0, 100000)
	fe.line("contact_name", s.ContactName, true, maxShort)
	fe.line("contact_role", s.ContactRole, true, maxShort)
	if s.ContactPhone != "" && !phoneRe.MatchString(s.ContactPhone) {
		fe.add("contact_phone", "err.contact_phone.invalid")
	}
	fe.text("accessibility", s.Accessibility, false, maxLong)
	return fe
}

// Validate checks "Vos outils aujourd'hui".
func (s *ToolsStep) Validate() FieldErrors {
	var fe FieldErrors
	s.ToolOther, s.Problems, s.DataGB = clean(s.ToolOther), clean(s.Problems), clean(s.DataGB)
	for _, t := range s.Tools {
		if !oneOf(t, Tools) {
			fe.add("tools", "err.choice")
			break
		}
	}
	if oneOf("other", s.Tools) {
		fe.line("tool_other", s.ToolOther, true, maxShort)
	} else {
		fe.line("tool_other", s.ToolOther, false, maxShort)
	}
	fe.text("problems", s.Problems, false, maxLong)
	if s.DataGB != "" {
		v, err := strconv.ParseFloat(strings.ReplaceAll(s.DataGB, ",", "."), 64)
		switch {
		case err != nil || math.IsNaN(v): // ParseFloat accepts "NaN"
			fe.add("data_gb", "err.number")
		case v < 0 || v > 100000:
			fe.add("data_gb", "err.data_gb.range")
		}
	}
	return fe
}

// Validate checks "Vos besoins".
func (s *NeedsStep) Validate() FieldErrors {
	var fe FieldErrors
	s.Accounts, s.StorageGB, s.TrainingTopics = clean(s.Accounts), clean(s.StorageGB), clean(s.TrainingTopics)
	if len(s.Services) == 0 {
		fe.add("services", "err.services.required")
	}
	for _, v := range s.Services {
		if !oneOf(v, Services) {
			fe.add("services", "err.choice")
			break
		}
	}
	fe.number("accounts", s.Accounts, true, 1, 1000)
	fe.number("storage_gb", s.StorageGB, true, 1, 10000)
	fe.choice("when", s.When, Timings, true)
	fe.choice("training", s.Training, YesNo, true)
	fe.text("training_topics", s.TrainingTopics, false, maxLong)
	return fe
}

// Validate checks "Votre hébergeur" against the hosts open to new requests.
func (s *HostStep) Validate(hosts []Host) FieldErrors {
	var fe FieldErrors
	if s.Choice == "" {
		fe.add("host", "err.host.required")
	} else if s.Choice != HostChoiceAuto {
		found := false
		for _, h := range hosts {
			if h.Slug == s.Choice && !h.Paused {
				found = true
			}
		}
		if !found {
			fe.add("host", "err.host.unavailable")
		}
	}
	fe.choice("contribution", s.Contribution, Contributions, true)
	if s.Contribution == "membership" {
		fe.choice("fee_range", s.FeeRange, FeeRanges, true)
	} else {
		s.FeeRange = ""
	}
	return fe
}

// Validate checks the consents given on "Récapitulatif".
func (s *ConsentStep) Validate() FieldErrors {
	var fe FieldErrors
	if s.DataProcessing != "yes" {
		fe.add("consent_data", "err.consent_data.required")
	}
	if s.HostTerms != "yes" {
		fe.add("consent_terms", "err.consent_terms.required")
	}
	if s.FollowUp != "yes" {
		s.FollowUp = "no"
	}
	return fe
}

// Complete returns the first step whose answers are missing or invalid, or
// 0 when every step is complete (hosts are needed to check the host step).
func (a *Answers) Complete(hosts []Host) Step {
	c := *a
	if len(c.Association.Validate()) > 0 {
		return StepAssociation
	}
	if len(c.Members.Validate()) > 0 {
		return StepMembers
	}
	if len(c.Tools.Validate()) > 0 {
		return StepTools
	}
	if len(c.Needs.Validate()) > 0 {
		return StepNeeds
	}
	if len(c.Host.Validate(hosts)) > 0 {
		return StepHost
	}
	return 0
}

// Number parses a whole-number answer already validated; 0 when empty.
func Number(v string) int {
	n, _ := strconv.Atoi(strings.ReplaceAll(v, " ", ""))
	return n
}

// Prev is the step before s (the first step has none: itself).
func (s Step) Prev() Step {
	if s <= StepAssociation {
		return StepAssociation
	}
	return s - 1
}
