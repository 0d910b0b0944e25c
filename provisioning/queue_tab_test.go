package provisioning

import (
	"slices"
	"testing"

	"archipel/onboarding"
)

// TestTheQueueKnowsWhichCreationsStopped holds the queue's tab of stopped
// creations (written in onboarding, which cannot import this package) to
// the engine's job kind and to the statuses JobStatus.Stopped selects.
func TestTheQueueKnowsWhichCreationsStopped(t *testing.T) {
	if onboarding.CreationJobKind != string(KindProvision) {
		t.Errorf("onboarding.CreationJobKind = %q, want %q", onboarding.CreationJobKind, KindProvision)
	}
	var want []string
	for _, st := range JobStatusNames() {
		if JobStatus(st).Stopped() {
			want = append(want, st)
		}
	}
	got := slices.Clone(onboarding.StoppedJobStatuses)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("onboarding.StoppedJobStatuses = %v, want %v", got, want)
	}
}
