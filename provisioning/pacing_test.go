package provisioning

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestPacingHoldsAcrossReplicas(t *testing.T) {
	env := newTestEnv(t, envConfig{})
	// Three replicas: three Hosts on one database, each with jobs calling
	// the same host at once.
	replicas := []*Hosts{env.Hosts, NewHosts(env.DB, nil, 0), NewHosts(env.DB, nil, 0)}
	const rps, perReplica = 10, 12
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for _, hs := range replicas {
		for range perReplica {
			wg.Add(1)
			go func() {
				defer wg.Done()
				slot, err := hs.pace(env.ctx, env.Host.ID, rps)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				slots = append(slots, slot)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap < time.Second/rps {
			t.Fatalf("requests %d and %d to one host %v apart, want at least %v (1/rps) whatever the replica", i-1, i, gap, time.Second/rps)
		}
	}
	if n := len(slots); n != len(replicas)*perReplica {
		t.Fatalf("%d slots", n)
	}
}

func TestAHostsOwnPaceWins(t *testing.T) {
	env := newTestEnv(t, envConfig{})
	h := *env.Host.Host
	if got := env.Hosts.rpsOf(&h); got != 10 {
		t.Errorf("default pace %v, want 10 requests a second", got)
	}
	h.RequestsPerSecond = 2.5
	if got := env.Hosts.rpsOf(&h); got != 2.5 {
		t.Errorf("host's pace %v, want its own 2.5", got)
	}
}
