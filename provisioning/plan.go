package provisioning

import (
	"bytes"
	"fmt"
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

// Validate checks adjusted options.
func (o PlanOptions) Validate() error {
	switch {
	case o.QuotaGB < 1 || o.QuotaGB > 100000:
		return fmt.Errorf("quota %d GB out of range", o.QuotaGB)
	case o.AccountQuotaGB < 0 || o.AccountQuotaGB > o.QuotaGB:
		return fmt.Errorf("account quota %d GB out of range (at most the shared folder's %d GB)", o.AccountQuotaGB, o.QuotaGB)
	case o.Accounts < 1 || o.Accounts > 10000:
		return fmt.Errorf("accounts %d out of range", o.Accounts)
	case len(o.Folders) > 50:
		return fmt.Errorf("too many folders (%d)", len(o.Folders))
	}
	for _, f := range o.Folders {
		if t := strings.TrimSpace(f); t == "" || t == "." || t == ".." || strings.ContainsAny(f, `/\`) || len(f) > 100 {
			return fmt.Errorf("folder name %q not allowed", f)
		}
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
