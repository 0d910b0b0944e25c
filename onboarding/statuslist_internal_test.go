package onboarding

import (
	"slices"
	"strings"
	"testing"
)

// parseList reads back an SQL list written by statusList.
func parseList(t *testing.T, list string) []Status {
	t.Helper()
	var out []Status
	for _, q := range strings.Split(list, ", ") {
		if len(q) < 2 || q[0] != '\'' || q[len(q)-1] != '\'' || strings.Count(q, "'") != 2 {
			t.Fatalf("%q is not a quoted status in %q", q, list)
		}
		out = append(out, Status(q[1:len(q)-1]))
	}
	return out
}

// TestStatusListsAreWrittenFromTheConstants checks that the SQL lists of
// statuses hold exactly the constants the Go rule selects, and that the
// rule selects what the duplicate detection and a host's capacity expect.
func TestStatusListsAreWrittenFromTheConstants(t *testing.T) {
	for _, tt := range []struct {
		name string
		list string
		rule func(Status) bool
		want []Status
	}{
		{"open", openList, Status.Open, []Status{StatusDraft, StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned,
			StatusApproved, StatusProvisioning}},
		{"counted by a host's capacity", countedList, func(s Status) bool { return s.Open() && s != StatusDraft },
			[]Status{StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned, StatusApproved, StatusProvisioning}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := parseList(t, tt.list)
			if !slices.Equal(got, tt.want) {
				t.Errorf("SQL list %v, want %v", got, tt.want)
			}
			for _, s := range Statuses {
				if tt.rule(s) != slices.Contains(got, s) {
					t.Errorf("%s: rule says %t, the SQL list %t", s, tt.rule(s), slices.Contains(got, s))
				}
			}
		})
	}
	t.Run("every status is listed once", func(t *testing.T) {
		seen := map[Status]bool{}
		for _, s := range Statuses {
			if seen[s] {
				t.Errorf("%s listed twice", s)
			}
			seen[s] = true
		}
		for _, s := range []Status{StatusDraft, StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned, StatusApproved,
			StatusProvisioning, StatusReady, StatusDeclined, StatusWithdrawn} {
			if !seen[s] {
				t.Errorf("%s missing from Statuses: no SQL list would hold it", s)
			}
		}
	})
}
