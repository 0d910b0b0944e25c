package onboarding_test

import (
	"testing"

	"archipel/onboarding"
)

func TestAHostsPaceAndAccountQuota(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *onboarding.HostForm)
		field  string
		key    string
	}{
		{"left empty, the service's defaults apply", func(f *onboarding.HostForm) {}, "", ""},
		{"a pace of 3 requests a second and 1 creation at once is accepted",
			func(f *onboarding.HostForm) { f.RequestsPerSecond, f.JobsAtOnce = "3", "1" }, "", ""},
		{"no requests at all is refused", func(f *onboarding.HostForm) { f.RequestsPerSecond = "0" },
			"host_requests_per_second", "err.host_requests_per_second.range"},
		{"fifty creations at once is refused", func(f *onboarding.HostForm) { f.JobsAtOnce = "50" },
			"host_jobs_at_once", "err.host_jobs_at_once.range"},
		{"an account quota above the shared folder's is refused", func(f *onboarding.HostForm) { f.AccountQuotaGB = "11" },
			"host_account_quota_gb", "err.host_account_quota_gb.folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validHostForm("ile")
			tt.change(f)
			typed := *f
			fe := f.Validate()
			if got := fe.For(tt.field); tt.field != "" && got != tt.key {
				t.Errorf("error %q on %s, want %q (all: %v)", got, tt.field, tt.key, fe)
			}
			if tt.field == "" && len(fe) > 0 {
				t.Errorf("refused: %v", fe)
			}
			if f.RequestsPerSecond != typed.RequestsPerSecond || f.JobsAtOnce != typed.JobsAtOnce || f.AccountQuotaGB != typed.AccountQuotaGB {
				t.Error("the values typed were changed")
			}
		})
	}
	if f := onboarding.NewHostForm(); f.RequestsPerSecond != "10" || f.JobsAtOnce != "2" || f.AccountQuotaGB != "1" {
		t.Errorf("a new host's form shows %q rps, %q at once, %q GB per account; want the defaults 10, 2, 1",
			f.RequestsPerSecond, f.JobsAtOnce, f.AccountQuotaGB)
	}
}
