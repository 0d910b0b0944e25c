package provisioning

import (
	"slices"
	"strings"
	"testing"
)

func TestPlanProblemsNameTheFieldAndTheRule(t *testing.T) {
	ok := PlanOptions{QuotaGB: 20, AccountQuotaGB: 2, Accounts: 10, Folders: []string{"Projets"}, Services: []string{"files", "calendars"}}
	offered := []string{"files", "calendars"}
	if fe := ok.Problems(offered); len(fe) != 0 {
		t.Fatalf("valid options: %v", fe)
	}
	for _, c := range []struct {
		name   string
		change func(*PlanOptions)
		want   string // field: key
	}{
		{"no quota", func(o *PlanOptions) { o.QuotaGB = 0 }, "quota_gb: err.quota_gb.range"},
		{"a quota over the bound", func(o *PlanOptions) { o.QuotaGB = MaxQuotaGB + 1 }, "quota_gb: err.quota_gb.range"},
		{"no account", func(o *PlanOptions) { o.Accounts = 0 }, "plan_accounts: err.plan_accounts.range"},
		{"too many accounts", func(o *PlanOptions) { o.Accounts = MaxAccounts + 1 }, "plan_accounts: err.plan_accounts.range"},
		{"an account over its folder", func(o *PlanOptions) { o.AccountQuotaGB = 21 }, "plan_account_quota_gb: err.plan_account_quota_gb.folder"},
		{"a negative account quota", func(o *PlanOptions) { o.AccountQuotaGB = -1 }, "plan_account_quota_gb: err.plan_account_quota_gb.range"},
		{"a folder named ..", func(o *PlanOptions) { o.Folders = []string{".."} }, "plan_folders: err.plan_folders.dots"},
		{"a folder with a slash", func(o *PlanOptions) { o.Folders = []string{"a/b"} }, "plan_folders: err.plan_folders.invalid"},
		{"a folder name too long", func(o *PlanOptions) { o.Folders = []string{strings.Repeat("a", 101)} }, "plan_folders: err.plan_folders.invalid"},
		{"too many folders", func(o *PlanOptions) { o.Folders = slices.Repeat([]string{"x"}, MaxFolders+1) }, "plan_folders: err.plan_folders.too_many"},
		{"an unknown service", func(o *PlanOptions) { o.Services = []string{"mining"} }, "plan_services: err.choice"},
		{"a service the host lacks", func(o *PlanOptions) { o.Services = []string{"tasks"} }, "plan_services: err.plan_services.unoffered"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := ok
			c.change(&o)
			fe := o.Problems(offered)
			if len(fe) != 1 || fe[0].Field+": "+fe[0].Key != c.want {
				t.Errorf("Problems = %v, want [%s]", fe, c.want)
			}
			if strings.HasPrefix(c.want, "plan_services") {
				if err := o.Validate(); err != nil {
					t.Errorf("Validate, which does not know the host's offer: %v", err)
				}
			} else if err := o.Validate(); err == nil {
				t.Error("Validate accepted it")
			}
		})
	}
}
