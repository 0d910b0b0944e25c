package accounts

import (
	"context"
	"sync/atomic"
	"time"

	"archipel/apperr"
)

// Gate bounds how many password hashes run at once. Each argon2id check
// takes 19 MiB and a core for a while: without a bound, a burst of logins
// exhausts a small machine's memory. A few callers may wait a moment for a
// slot; beyond them, or after the wait, the answer is "unavailable", so no
// queue ever grows without bound.
type Gate struct {
	slots   chan struct{}
	waiting chan struct{}
	wait    time.Duration

	running atomic.Int32
	peak    atomic.Int32
	runs    atomic.Int64
}

// Default bounds of the password gate: two checks at once (38 MiB) fit a
// Raspberry-class machine, with a handful of callers waiting up to a few
// seconds.
const (
	DefaultPasswordChecks  = 2
	DefaultPasswordWaiting = 8
	DefaultPasswordWait    = 5 * time.Second
)

// NewGate returns a gate letting slots hashes run at once and waiting
// callers wait up to wait for one.
func NewGate(slots, waiting int, wait time.Duration) *Gate {
	if slots < 1 {
		slots = 1
	}
	if waiting < 0 {
		waiting = 0
	}
	return &Gate{slots: make(chan struct{}, slots), waiting: make(chan struct{}, waiting), wait: wait}
}

// errBusy is the answer when every slot is taken and the waiting room full.
var errBusy = apperr.New(apperr.Unavailable, "err.login.busy", "accounts: password check")

// Do runs fn when a slot is free; unavailable (err.login.busy) when none
// frees up in time.
func (g *Gate) Do(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		select {
		case g.waiting <- struct{}{}:
		default:
			return errBusy
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
			<-g.waiting
		case <-t.C:
			<-g.waiting
			return errBusy
		case <-ctx.Done():
			t.Stop()
			<-g.waiting
			return errBusy
		}
	}
	defer func() { <-g.slots }()
	n := g.running.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	defer g.running.Add(-1)
	g.runs.Add(1)
	fn()
	return nil
}

// Peak is the largest number of hashes that ran at once so far.
func (g *Gate) Peak() int { return int(g.peak.Load()) }

// Runs is how many hashes ran through the gate so far.
func (g *Gate) Runs() int { return int(g.runs.Load()) }

// Waiting is how many callers wait for a slot now.
func (g *Gate) Waiting() int { return len(g.waiting) }
