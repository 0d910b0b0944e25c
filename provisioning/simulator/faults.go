package simulator

import (
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strconv"
	"time"
)

// Faults configures the failures the simulator injects. Set it with
// SetFaults at any time; the zero value injects nothing.
type Faults struct {
	// Latency is added to every call before it is handled.
	Latency time.Duration
	// Seed seeds the random source drawn by rules with a Rate, so that a
	// test sees the same failures on every run.
	Seed int64
	// Rules are tried in order; the first that fires decides the call.
	Rules []FaultRule
}

// FaultAction is what a firing FaultRule does to a call.
type FaultAction int

// Fault actions.
const (
	// Fail answers Status (500 when zero) with a short text body.
	Fail FaultAction = iota
	// Hang blocks until the request context is cancelled or the simulator
	// is closed, then returns without answering.
	Hang
	// Drop closes the connection without answering.
	Drop
)

// FaultRule injects one kind of failure into the calls whose route matches.
type FaultRule struct {
	// Route is a glob over route names as counted by RouteCalls, such as
	// "POST /ocs/cloud/users", "* /dav/files" or "*/groupfolders/*"; "*" and
	// "" match every route.
	Route string
	// Nth makes the rule fire on the Nth matching call only (1-based,
	// counted since SetFaults).
	Nth int
	// Rate is the probability that a matching call fires when Nth is zero
	// (1 fires on every matching call).
	Rate float64
	// Action is what happens to a firing call.
	Action FaultAction
	// Status is the HTTP status a Fail answers (500 when zero).
	Status int
	// RetryAfter, when positive, is sent as Retry-After (whole seconds).
	RetryAfter time.Duration
	// AfterHandling applies the fault once the simulator has handled the
	// call, so its effect on the state stays but the answer is lost.
	AfterHandling bool
}

// SetFaults replaces the fault configuration and resets the rule counters.
func (s *Simulator) SetFaults(f Faults) {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	f.Rules = append([]FaultRule(nil), f.Rules...)
	s.faults = f
	s.faultRand = rand.New(rand.NewSource(f.Seed))
	s.ruleHits = make([]int, len(f.Rules))
}

// pickFault decides what happens to a call on route: the firing rule (nil
// if none) and the latency to add.
func (s *Simulator) pickFault(route string) (*FaultRule, time.Duration) {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	var fired *FaultRule
	for i := range s.faults.Rules {
		rule := &s.faults.Rules[i]
		if !globMatch(rule.Route, route) {
			continue
		}
		s.ruleHits[i]++
		if fired != nil {
			continue
		}
		switch {
		case rule.Nth > 0:
			if s.ruleHits[i] == rule.Nth {
				fired = rule
			}
		case rule.Rate > 0:
			if s.faultRand.Float64() < rule.Rate {
				fired = rule
			}
		}
	}
	if fired != nil {
		copied := *fired
		fired = &copied
	}
	return fired, s.faults.Latency
}

// applyFault carries out a firing rule.
func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, rule FaultRule) {
	switch rule.Action {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
	case Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	default:
		status := rule.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if rule.RetryAfter > 0 {
			secs := int((rule.RetryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, fmt.Sprintf("simulated failure: %d %s\n", status, http.StatusText(status)))
	}
}

// globMatch matches name against pattern where "*" stands for any run of
// characters (slashes and spaces included); "" matches everything.
func globMatch(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	for len(pattern) > 0 {
		if pattern[0] == '*' {
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if globMatch(pattern, name[i:]) {
					return true
				}
			}
			return false
		}
		if name == "" || pattern[0] != name[0] {
			return false
		}
		pattern, name = pattern[1:], name[1:]
	}
	return name == ""
}
