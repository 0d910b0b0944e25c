package provisioning

import (
	"strings"
	"testing"

	"archipel/provisioning/simulator"
)

// TestEachGenerationWithItsCredential provisions a workspace on a
// simulated Nextcloud of each generation, connected as its how-to says: an
// app password on 27.1, the login password of the provisioning account on
// 34.0.1, where the password is verified once (at the login), not per call.
func TestEachGenerationWithItsCredential(t *testing.T) {
	for _, p := range []simulator.Profile{simulator.Profile27(), simulator.Profile34()} {
		t.Run("on Nextcloud "+p.Name, func(t *testing.T) {
			env := newTestEnv(t, envConfig{SimOptions: simulator.Options{Profile: p}})
			h := env.addHost("ile", "Île", false)
			before := h.Sim.PasswordVerifications() // the setup made an app password
			_, id := env.submitAndApprove(h, association{})
			j, _ := env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("job %s: %s %s", j.Status, j.ErrorKey, j.ErrorDetail)
			}
			env.checkHost(h, true, []workspace{env.workspaceOf(j)}, seeded{})
			if n := h.Sim.PasswordVerifications() - before; p.Name == "34.0.1" && n != 1 {
				t.Errorf("the login password was verified %d times, want once", n)
			}
		})
	}
}

// TestAnAppPasswordOn34StopsWithWhatToDo runs a job on a 34.0.1 host
// connected with an app password: it stops at once (no retry can help) with
// the message saying to give the login password, and Nextcloud's own
// message beside it.
func TestAnAppPasswordOn34StopsWithWhatToDo(t *testing.T) {
	env := newTestEnv(t, envConfig{SimOptions: simulator.Options{Profile: simulator.Profile34()}, AppPasswordOn34: true})
	h := env.addHost("ile", "Île", false)
	_, id := env.submitAndApprove(h, association{})
	j, _ := env.settle(id)
	if j.Status == JobSucceeded || j.ErrorKey != "nc34.error.confirmation" {
		t.Fatalf("job %s with %q, want it stopped with nc34.error.confirmation", j.Status, j.ErrorKey)
	}
	if !strings.Contains(j.ErrorDetail, "Password confirmation is required") {
		t.Errorf("Nextcloud's message is missing from the detail %q", j.ErrorDetail)
	}
}
