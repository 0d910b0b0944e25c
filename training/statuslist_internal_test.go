package training

import (
	"slices"
	"strings"
	"testing"
)

// parseCheckinList reads back an SQL list written by checkinList.
func parseCheckinList(t *testing.T, list string) []CheckinStatus {
	t.Helper()
	var out []CheckinStatus
	for _, q := range strings.Split(list, ", ") {
		if len(q) < 2 || q[0] != '\'' || q[len(q)-1] != '\'' || strings.Count(q, "'") != 2 {
			t.Fatalf("%q is not a quoted status in %q", q, list)
		}
		out = append(out, CheckinStatus(q[1:len(q)-1]))
	}
	return out
}

// TestCheckinListsAreWrittenFromTheConstants checks that the SQL lists of
// check-in statuses hold exactly the constants the Go rule selects.
func TestCheckinListsAreWrittenFromTheConstants(t *testing.T) {
	notSent := func(s CheckinStatus) bool { return s == CheckinScheduled || s == CheckinSending }
	for _, tt := range []struct {
		name string
		list string
		rule func(CheckinStatus) bool
		want []CheckinStatus
	}{
		{"answerable", answerableList, CheckinStatus.Answerable,
			[]CheckinStatus{CheckinScheduled, CheckinSending, CheckinSent, CheckinReminding, CheckinReminded}},
		{"waiting", waitingList, CheckinStatus.Waiting, []CheckinStatus{CheckinSent, CheckinReminding, CheckinReminded}},
		{"not sent", notSentList, notSent, []CheckinStatus{CheckinScheduled, CheckinSending}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := parseCheckinList(t, tt.list)
			if !slices.Equal(got, tt.want) {
				t.Errorf("SQL list %v, want %v", got, tt.want)
			}
			for _, s := range CheckinStatuses {
				if tt.rule(s) != slices.Contains(got, s) {
					t.Errorf("%s: rule says %t, the SQL list %t", s, tt.rule(s), slices.Contains(got, s))
				}
			}
		})
	}
	t.Run("the single statuses the claims compare with", func(t *testing.T) {
		for sql, want := range map[string]CheckinStatus{scheduledSQL: CheckinScheduled, sendingSQL: CheckinSending,
			sentSQL: CheckinSent, remindingSQL: CheckinReminding, remindedSQL: CheckinReminded} {
			if got := parseCheckinList(t, sql); !slices.Equal(got, []CheckinStatus{want}) {
				t.Errorf("%s written as %v", want, got)
			}
		}
		if got := statusSQL(CheckinStatus("unknown")); got != "" {
			t.Errorf("a status missing from CheckinStatuses is written %q", got)
		}
	})
	t.Run("every status is listed once", func(t *testing.T) {
		seen := map[CheckinStatus]bool{}
		for _, s := range CheckinStatuses {
			if seen[s] {
				t.Errorf("%s listed twice", s)
			}
			seen[s] = true
		}
		for _, s := range []CheckinStatus{CheckinScheduled, CheckinSending, CheckinSent, CheckinReminding, CheckinReminded,
			CheckinAnswered, CheckinExpired, CheckinStopped} {
			if !seen[s] {
				t.Errorf("%s missing from CheckinStatuses: no SQL list would hold it", s)
			}
		}
	})
}
