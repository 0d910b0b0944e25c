package provisioning

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"archipel/onboarding"
	"archipel/templates"
)

// Plan is what a workspace will be, fixed at approval so that every retry
// provisions exactly the same thing.
type Plan struct {
	ApplicationID   string `json:"application_id"`
	HostID          string `json:"host_id"`
	AssociationName string `json:"association_name"`
	ContactName     string `json:"contact_name"`
	ContactEmail    string `json:"contact_email"`
	Language        string `json:"language"`
	QuotaBytes      int64  `json:"quota_bytes"` // the shared folder's quota
	// AccountQuotaBytes is each account's own quota (its personal files);
	// plans fixed before it existed have 0 and give QuotaBytes.
	AccountQuotaBytes int64      `json:"account_quota_bytes,omitempty"`
	Accounts          int        `json:"accounts"`
	Folders           []string   `json:"folders"`
	Services          []string   `json:"services"`
	Documents         []Document `json:"documents"`
}

// Document is a welcome document placed in the shared space.
type Document struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// accountQuota is the quota of each account of the workspace.
func (p Plan) accountQuota() int64 {
	if p.AccountQuotaBytes > 0 {
		return p.AccountQuotaBytes
	}
	return p.QuotaBytes
}

// PlanOptions are what staff may adjust when approving.
type PlanOptions struct {
	QuotaGB int // the shared folder's quota
	// AccountQuotaGB is each account's personal quota, small by default:
	// the association's files live in the shared folder.
	AccountQuotaGB int
	Accounts       int
	Folders        []string
	Services       []string
}

// GB is a gigabyte as Nextcloud counts quotas.
const GB = int64(1) << 30

// DefaultAccountQuotaGB is each account's quota when the host set none.
const DefaultAccountQuotaGB = 1

// DefaultPlanOptions are the host's defaults, raised to what the association
// asked for.
func DefaultPlanOptions(app *onboarding.Application, h *Host) PlanOptions {
	o := PlanOptions{QuotaGB: h.DefaultQuotaGB, AccountQuotaGB: h.DefaultAccountQuotaGB, Accounts: h.DefaultAccount,
		Folders: h.FolderTemplate, Services: app.Answers.Needs.Services}
	if o.AccountQuotaGB < 1 {
		o.AccountQuotaGB = DefaultAccountQuotaGB
	}
	if asked := onboarding.Number(app.Answers.Needs.StorageGB); asked > o.QuotaGB {
		o.QuotaGB = asked
	}
	if asked := onboarding.Number(app.Answers.Needs.Accounts); asked > o.Accounts {
		o.Accounts = asked
	}
	return o
}

// Bounds on what a plan may hold.
const (
	MaxQuotaGB    = 100000
	MaxAccounts   = 10000
	MaxFolders    = 50
	maxFolderName = 100
)

// Problems lists what is wrong with adjusted options, each on the approval
// form's field with its message's key. offered, when not nil, is what the
// host offers: a service outside it is refused too.
func (o PlanOptions) Problems(offered []string) onboarding.FieldErrors {
	var fe onboarding.FieldErrors
	add := func(field, key string) { fe = append(fe, onboarding.FieldError{Field: field, Key: key}) }
	if o.QuotaGB < 1 || o.QuotaGB > MaxQuotaGB {
		add("quota_gb", "err.quota_gb.range")
	}
	if o.Accounts < 1 || o.Accounts > MaxAccounts {
		add("plan_accounts", "err.plan_accounts.range")
	}
	switch {
	case o.AccountQuotaGB < 0 || o.AccountQuotaGB > MaxQuotaGB:
		add("plan_account_quota_gb", "err.plan_account_quota_gb.range")
	case o.AccountQuotaGB > o.QuotaGB && o.QuotaGB > 0:
		add("plan_account_quota_gb", "err.plan_account_quota_gb.folder")
	}
	for _, name := range o.Folders {
		if t := strings.TrimSpace(name); t == "" || t == "." || t == ".." {
			add("plan_folders", "err.plan_folders.dots")
			break
		}
		if strings.ContainsAny(name, `/\`) || len(name) > maxFolderName {
			add("plan_folders", "err.plan_folders.invalid")
			break
		}
	}
	if len(o.Folders) > MaxFolders {
		add("plan_folders", "err.plan_folders.too_many")
	}
	if offered != nil {
		for _, svc := range o.Services {
			if !slices.Contains(PlanServices, svc) {
				add("plan_services", "err.choice")
				break
			}
			if !slices.Contains(offered, svc) {
				add("plan_services", "err.plan_services.unoffered")
				break
			}
		}
	}
	return fe
}

// Validate checks adjusted options (Problems, whatever the host offers).
func (o PlanOptions) Validate() error {
	if fe := o.Problems(nil); len(fe) > 0 {
		return fmt.Errorf("plan options: %s: %s", fe[0].Field, fe[0].Key)
	}
	return nil
}

// welcomeData is what a welcome document may mention.
type welcomeData struct {
	Association, Host, HostEmail, HelpURL, LoginURL, ContactEmail, Account, Folder string
	Folders                                                                        []string
	Services                                                                       ServiceSummary // steps_services.go
}

// NewPlan fixes the plan of an approved request on a host.
func NewPlan(app *onboarding.Application, h *Host, o PlanOptions) (Plan, error) {
	if o.AccountQuotaGB == 0 {
		o.AccountQuotaGB = min(DefaultAccountQuotaGB, o.QuotaGB)
	}
	if err := o.Validate(); err != nil {
		return Plan{}, err
	}
	p := Plan{
		ApplicationID: app.ID, HostID: h.ID,
		AssociationName: app.Answers.Association.Name, ContactName: app.Answers.Members.ContactName,
		ContactEmail: app.Answers.Association.ContactEmail, Language: app.Language,
		QuotaBytes: int64(o.QuotaGB) * GB, AccountQuotaBytes: int64(o.AccountQuotaGB) * GB, Accounts: o.Accounts, Folders: o.Folders, Services: o.Services,
	}
	for _, lang := range templates.Languages {
		text := templates.Welcome(lang)
		if custom := map[string]string{"fr": h.WelcomeFR, "en": h.WelcomeEN}[lang]; strings.TrimSpace(custom) != "" {
			text = custom
		}
		p.Documents = append(p.Documents, Document{Name: map[string]string{"fr": "Bienvenue.md", "en": "Welcome.md"}[lang], Content: text})
	}
	return p, nil
}

// renderDocument fills a welcome document once the account and folder are
// known.
func renderDocument(d Document, p Plan, h *Host, st *State) ([]byte, error) {
	t, err := template.New(d.Name).Option("missingkey=zero").Parse(d.Content)
	if err != nil {
		return nil, fmt.Errorf("welcome document %s: %w", d.Name, err)
	}
	var buf bytes.Buffer
	err = t.Execute(&buf, welcomeData{
		Association: p.AssociationName, Host: h.Name, HostEmail: h.ContactEmail, HelpURL: h.HelpURL,
		LoginURL: h.NextcloudURL, ContactEmail: p.ContactEmail, Account: st.UserID, Folder: st.Folder, Folders: p.Folders,
		Services: summarize(p, h, st),
	})
	if err != nil {
		return nil, fmt.Errorf("welcome document %s: %w", d.Name, err)
	}
	return buf.Bytes(), nil
}
