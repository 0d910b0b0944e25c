package provisioning

import (
	"strings"
	"testing"

	"archipel/provisioning/simulator"
)

// TestTheWelcomeEmailOffersTheAddressAsLoginWhenOnlyOneAccountHasIt runs
// workspaces on the simulator and reads their welcome e-mail: the contact's
// address is offered as login when no other account of the host has it
// (another account merely resembling it is read and set aside), and not
// when another account has the same address; the account's name is given
// either way.
func TestTheWelcomeEmailOffersTheAddressAsLoginWhenOnlyOneAccountHasIt(t *testing.T) {
	for _, c := range []struct {
		name   string
		email  string
		others []simulator.Account
		offer  bool
	}{
		{"an address no other account has", "anne@velo.example", nil, true},
		{"an address another account only resembles", "anne@velo.example",
			[]simulator.Account{{ID: "anne-velo", DisplayName: "anne@velo.example (ancien)", Email: "anne@velo.example.org"}}, true},
		{"an address another account has too", "anne@velo.example",
			[]simulator.Account{{ID: "tresoriere", Email: "Anne@Velo.example"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newTestEnv(t, envConfig{RPS: fastRPS})
			h := env.Host
			for _, o := range c.others {
				if err := h.Sim.AddUser(o); err != nil {
					t.Fatal(err)
				}
			}
			_, id := env.submitAndApprove(h, association{Email: c.email})
			env.Engine.RunDue(env.ctx)
			if j := env.job(id); j.Status != JobSucceeded {
				t.Fatalf("job %s %s", j.Status, j.ErrorKey)
			}
			msgs := env.readyMails(t)
			if len(msgs) != 1 {
				t.Fatalf("%d ready e-mails", len(msgs))
			}
			text := msgs[0].Text
			offered := strings.Contains(text, "adresse e-mail "+c.email)
			if offered != c.offer {
				t.Errorf("address offered as login: %t, want %t:\n%s", offered, c.offer, text)
			}
			if account := env.job(id).State.UserID; !strings.Contains(text, account) {
				t.Errorf("the account's name %q is not given:\n%s", account, text)
			}
		})
	}
}
