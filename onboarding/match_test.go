package onboarding_test

import (
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"archipel/apperr"
	"archipel/onboarding"
	"archipel/templates"
)

// checkReason fails unless reason is the stored message id with at least
// those arguments, and translates in every language.
func checkReason(t *testing.T, reason, id string, args map[string]any) {
	t.Helper()
	var got struct {
		ID   string                     `json:"id"`
		Args map[string]json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal([]byte(reason), &got); err != nil {
		t.Fatalf("reason %q is not a stored message: %v", reason, err)
	}
	if got.ID != id {
		t.Errorf("reason %s, want %s", got.ID, id)
	}
	for name, v := range args {
		want, _ := json.Marshal(v)
		if string(got.Args[name]) != string(want) {
			t.Errorf("reason %s has %s = %s, want %s", got.ID, name, got.Args[name], want)
		}
	}
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range templates.Languages {
		if msg := set.Msg(lang, reason); msg == reason || strings.Contains(msg, "<no value>") || strings.Contains(msg, "opt.") {
			t.Errorf("reason in %s: %q", lang, msg)
		}
	}
}

// services is how a reason names the services asked for.
func services(codes ...string) []onboarding.Message {
	var out []onboarding.Message
	for _, c := range codes {
		out = append(out, onboarding.Message{ID: "opt.services." + c})
	}
	return out
}

func TestChooseHost(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 3, 1, 9, min, 0, 0, time.UTC) }
	host := func(id, deps, services string, capacity, load int) onboarding.HostProfile {
		return onboarding.HostProfile{ID: id, Name: id, Departements: strings.Split(deps, ","), Services: strings.Split(services, ","),
			MaxAssociations: capacity, Load: onboarding.HostLoad{Open: load}}
	}
	paused := host("paused", "*", "files,calendars", 10, 0)
	paused.Paused = true
	recent, earlier := host("recent", "*", "files", 20, 2), host("earlier", "*", "files", 10, 1)
	recent.LastAssignedAt, earlier.LastAssignedAt = at(30), at(10)
	never := host("never", "*", "files", 10, 1)
	type args = map[string]any
	tests := []struct {
		name     string
		dep      string
		services []string
		hosts    []onboarding.HostProfile
		want     string         // "" when none is eligible
		reason   string         // the reason's message ID
		args     map[string]any // some of its arguments
	}{
		{"a host serving the département is eligible", "69", []string{"files"},
			[]onboarding.HostProfile{host("lyon", "69,01", "files", 10, 0), host("paris", "75", "files", 10, 0)}, "lyon",
			"match.reason.only", args{"Departement": "69", "AllFrance": false, "Services": services("files"), "Load": 0, "Capacity": 10, "Eligible": 1}},
		{"a host serving all of France is eligible anywhere", "974", []string{"files"},
			[]onboarding.HostProfile{host("lyon", "69", "files", 10, 0), host("partout", "*", "files", 10, 5)}, "partout",
			"match.reason.only", args{"Departement": "974", "AllFrance": true}},
		{"a host must offer every service asked for", "69", []string{"files", "video"},
			[]onboarding.HostProfile{host("fichiers", "69", "files,calendars", 10, 0), host("complet", "69", "video,files", 10, 9)}, "complet",
			"match.reason.only", args{"Services": services("files", "video")}},
		{"a host with no room left is not eligible", "69", []string{"files"},
			[]onboarding.HostProfile{host("plein", "69", "files", 3, 3), host("libre", "*", "files", 30, 29)}, "libre",
			"match.reason.only", args{"Load": 29, "Capacity": 30}},
		{"a paused host is not eligible", "69", []string{"files"},
			[]onboarding.HostProfile{paused, host("ouvert", "*", "files", 10, 8)}, "ouvert",
			"match.reason.only", args{"Eligible": 1}},
		{"the least loaded relative to capacity wins", "69", []string{"files"},
			[]onboarding.HostProfile{host("petit", "*", "files", 4, 1), host("grand", "*", "files", 100, 20)}, "grand",
			"match.reason.least", args{"Eligible": 2, "Load": 20, "Capacity": 100}},
		{"on a tie, the host never given a request goes first", "69", []string{"files"},
			[]onboarding.HostProfile{recent, earlier, never}, "never",
			"match.reason.tied", args{"Eligible": 3, "Tied": 3}},
		{"on a tie, the least recently assigned host goes first", "69", []string{"files"},
			[]onboarding.HostProfile{recent, earlier}, "earlier",
			"match.reason.tied", args{"Load": 1, "Capacity": 10, "Tied": 2}},
		{"no host serving the département leaves the request waiting", "2A", []string{"files"},
			[]onboarding.HostProfile{host("lyon", "69", "files", 10, 0)}, "",
			"match.reason.none_serving", args{"Open": 1, "Departement": "2A"}},
		{"no host offering the services leaves the request waiting", "69", []string{"video"},
			[]onboarding.HostProfile{host("lyon", "69", "files", 10, 0), paused}, "",
			"match.reason.none_offering", args{"Open": 1, "Serving": 1, "Departement": "69", "Services": services("video")}},
		{"full hosts leave the request waiting", "69", []string{"files"},
			[]onboarding.HostProfile{host("plein", "69", "files", 2, 2)}, "",
			"match.reason.all_full", args{"Serving": 1, "Departement": "69", "Offering": 1, "Services": services("files")}},
		{"no host at all leaves the request waiting", "69", []string{"files"}, nil, "",
			"match.reason.none_serving", args{"Open": 0, "Departement": "69"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, ok := onboarding.ChooseHost(tt.dep, tt.services, tt.hosts)
			if ok != (tt.want != "") || got.ID != tt.want {
				t.Errorf("chose %q (%t), want %q", got.ID, ok, tt.want)
			}
			checkReason(t, reason, tt.reason, tt.args)
		})
	}
}

func TestMatchHost(t *testing.T) {
	t.Run("a request goes to an eligible host, with the reason for staff", func(t *testing.T) {
		f := newMatchFixture(t)
		f.host("paris", "75", "files,calendars", 10)
		f.host("sans-agenda", "69", "files", 10)
		ferme := f.host("ferme", "*", "files,calendars", 10)
		if err := f.store.SetHostPaused(f.ctx, queueAdmin, ferme, true); err != nil {
			t.Fatal(err)
		}
		lyon := f.host("lyon", "69,01", "files,calendars,video", 20)
		a := f.request("69003", "files", "calendars")
		m, err := f.store.MatchHost(f.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Found() || m.Host.ID != lyon || a.HostID != lyon {
			t.Fatalf("match = %+v", m)
		}
		checkReason(t, m.Reason, "match.reason.only", map[string]any{"Departement": "69", "AllFrance": false,
			"Services": services("files", "calendars"), "Load": 0, "Capacity": 20, "Eligible": 1})
		stored, _ := f.store.Get(f.ctx, a.ID)
		if stored.MatchReason != m.Reason || a.MatchReason != m.Reason || stored.HostID != lyon || stored.Version != a.Version {
			t.Errorf("reason %q, stored %+v", m.Reason, stored)
		}
		events, _ := f.store.Events(f.ctx, a.ID, false)
		if last := events[len(events)-1]; last.Kind != "host_assigned" || last.Detail != m.Reason || last.Actor != onboarding.MatchActor || last.Public {
			t.Errorf("staff event %+v", last)
		}
		if got := f.events(a.ID, true); slices.Contains(got, "host_assigned") || slices.Contains(got, "waiting_host") {
			t.Errorf("public events %q", got)
		}
		h, _ := f.store.GetHost(f.ctx, lyon)
		if h.Load.Open != 1 || h.LastAssignedAt.IsZero() {
			t.Errorf("host after = %+v", h)
		}
		if _, err := f.store.MatchHost(f.ctx, a); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("matching again = %v, want a conflict", err)
		}
	})

	t.Run("successive requests spread across hosts, ties going to the least recently assigned", func(t *testing.T) {
		f := newMatchFixture(t)
		ids := map[string]string{f.host("alpha", "*", "files", 100): "alpha", f.host("beta", "*", "files", 100): "beta",
			f.host("gamma", "69", "files", 100): "gamma"}
		var got []string
		for i := 0; i < 6; i++ {
			m, err := f.store.MatchHost(f.ctx, f.request("69001", "files"))
			if err != nil || !m.Found() {
				t.Fatalf("match %d: %+v %v", i, m, err)
			}
			got = append(got, ids[m.Host.ID])
		}
		if want := []string{"alpha", "beta", "gamma", "alpha", "beta", "gamma"}; !slices.Equal(got, want) {
			t.Errorf("hosts %q, want %q", got, want)
		}
	})

	t.Run("a host whose requests ended takes its turn after the others", func(t *testing.T) {
		f := newMatchFixture(t)
		ids := map[string]string{f.host("alpha", "*", "files", 10): "alpha", f.host("beta", "*", "files", 10): "beta"}
		var got []string
		for i := 0; i < 4; i++ {
			a := f.request("13001", "files")
			m, err := f.store.MatchHost(f.ctx, a)
			if err != nil || !m.Found() {
				t.Fatalf("match %d: %+v %v", i, m, err)
			}
			got = append(got, ids[m.Host.ID])
			f.setStatus(a, onboarding.StatusWithdrawn) // the load is back to 0 on both hosts
		}
		if want := []string{"alpha", "beta", "alpha", "beta"}; !slices.Equal(got, want) {
			t.Errorf("hosts %q, want %q", got, want)
		}
	})

	t.Run("with no eligible host the request waits in the shared queue", func(t *testing.T) {
		f := newMatchFixture(t)
		plein := f.host("plein", "*", "files", 1)
		f.host("corse", "2A,2B", "files,video", 10)
		first := f.request("75011", "files")
		if m, err := f.store.MatchHost(f.ctx, first); err != nil || !m.Found() || m.Host.ID != plein {
			t.Fatalf("first match = %+v %v", m, err)
		}
		a := f.request("75011", "files")
		m, err := f.store.MatchHost(f.ctx, a)
		if err != nil || m.Found() || a.HostID != "" {
			t.Fatalf("match = %+v %v", m, err)
		}
		checkReason(t, m.Reason, "match.reason.all_full", map[string]any{"Open": 2, "Serving": 1, "Departement": "75",
			"Offering": 1, "Services": services("files")})
		if got := f.events(a.ID, true); got[len(got)-1] != "waiting_host" {
			t.Errorf("public events %q", got)
		}
		waiting, err := f.store.WaitingForHost(f.ctx)
		if err != nil || len(waiting) != 1 || waiting[0].ID != a.ID || waiting[0].MatchReason != m.Reason {
			t.Errorf("shared queue = %+v, %v", waiting, err)
		}
		f.setStatus(a, onboarding.StatusWithdrawn)
		if waiting, _ := f.store.WaitingForHost(f.ctx); len(waiting) != 0 {
			t.Errorf("a withdrawn request stays in the shared queue")
		}
	})

	t.Run("concurrent submissions never take more than a host's last slot", func(t *testing.T) {
		f := newMatchFixture(t)
		host := f.host("dernier", "*", "files", 3)
		for i := 0; i < 2; i++ {
			a := f.request("35000", "files")
			if m, err := f.store.MatchHost(f.ctx, a); err != nil || !m.Found() {
				t.Fatalf("filling: %+v %v", m, err)
			}
		}
		const n = 12
		var apps []*onboarding.Application
		for i := 0; i < n; i++ {
			apps = append(apps, f.request("35000", "files"))
		}
		// Open the connections beforehand, so that the goroutines match at
		// the same moment rather than one per new connection.
		warm := n
		if max := f.db.Stats().MaxOpenConnections; max > 0 && max < warm {
			warm = max
		}
		f.db.SetMaxIdleConns(warm)
		var conns []*sql.Conn
		for i := 0; i < warm; i++ {
			c, err := f.db.Conn(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		var wg sync.WaitGroup
		results := make([]onboarding.Match, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range apps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = f.store.MatchHost(f.ctx, apps[i])
			}()
		}
		close(start)
		wg.Wait()
		got := 0
		for i := range results {
			if errs[i] != nil {
				t.Errorf("match %d: %v", i, errs[i])
			}
			if results[i].Found() {
				got++
			}
		}
		if got != 1 {
			t.Errorf("%d requests got the last slot, want 1", got)
		}
		h, _ := f.store.GetHost(f.ctx, host)
		if h.Load.Total() != 3 {
			t.Errorf("host load %d, capacity 3", h.Load.Total())
		}
		if waiting, _ := f.store.WaitingForHost(f.ctx); len(waiting) != n-1 {
			t.Errorf("%d requests in the shared queue, want %d", len(waiting), n-1)
		}
	})
}

func TestAssignWaitingAndTransfer(t *testing.T) {
	f := newMatchFixture(t)
	lyon := f.host("lyon", "69", "files", 1)
	autre := f.host("autre", "75", "files", 5)
	ferme := f.host("ferme", "*", "files", 5)
	if err := f.store.SetHostPaused(f.ctx, queueAdmin, ferme, true); err != nil {
		t.Fatal(err)
	}
	f.store.MatchHost(f.ctx, f.request("69001", "files")) // lyon is now full
	a := f.request("69001", "files")
	if m, err := f.store.MatchHost(f.ctx, a); err != nil || m.Found() {
		t.Fatalf("match = %+v %v", m, err)
	}

	t.Run("a host and a reason are required", func(t *testing.T) {
		fe, err := f.store.AssignWaiting(f.ctx, a, &onboarding.HostChange{Reason: "  "}, as("admin@archipel.example"))
		if err != nil || fe.For("change_host") != "err.change_host.required" || fe.For("change_reason") != "err.change_reason.required" {
			t.Errorf("assign = %v, %v", fe, err)
		}
	})
	t.Run("a paused or unknown host is refused", func(t *testing.T) {
		for id, key := range map[string]string{ferme: "err.change_host.paused", "nope": "err.choice"} {
			fe, err := f.store.AssignWaiting(f.ctx, a, &onboarding.HostChange{HostID: id, Reason: "proche"}, as("admin@archipel.example"))
			if err != nil || fe.For("change_host") != key {
				t.Errorf("assign to %s = %v, %v", id, fe, err)
			}
		}
		if stored, _ := f.store.Get(f.ctx, a.ID); stored.HostID != "" {
			t.Errorf("host %s given anyway", stored.HostID)
		}
	})
	t.Run("an administrator may give a full host a request, with the reason", func(t *testing.T) {
		fe, err := f.store.AssignWaiting(f.ctx, a, &onboarding.HostChange{HostID: lyon, Reason: "Accord de Lyon par téléphone"}, as("admin@archipel.example"))
		if err != nil || len(fe) > 0 {
			t.Fatalf("assign = %v, %v", fe, err)
		}
		stored, _ := f.store.Get(f.ctx, a.ID)
		if stored.HostID != lyon || stored.MatchReason != "Accord de Lyon par téléphone" || a.HostID != lyon {
			t.Errorf("stored %+v", stored)
		}
		if got := f.events(a.ID, true); got[len(got)-1] != "host_found" {
			t.Errorf("public events %q", got)
		}
		if _, err := f.store.AssignWaiting(f.ctx, a, &onboarding.HostChange{HostID: autre, Reason: "x"}, as("x")); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("assigning again = %v, want a conflict", err)
		}
	})
	t.Run("an erased request goes nowhere", func(t *testing.T) {
		erased := *a
		erased.ErasedAt = time.Now()
		if _, err := f.store.Transfer(f.ctx, &erased, &onboarding.HostChange{HostID: autre, Reason: "x"}, as("admin@archipel.example")); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("transferring an erased request = %v, want not found", err)
		}
		if stored, _ := f.store.Get(f.ctx, a.ID); stored.HostID != lyon {
			t.Errorf("host %s after the refused transfer", stored.HostID)
		}
	})
	t.Run("a transfer to the same host is refused", func(t *testing.T) {
		fe, err := f.store.Transfer(f.ctx, a, &onboarding.HostChange{HostID: lyon, Reason: "x"}, as("staff@lyon.example"))
		if err != nil || fe.For("change_host") != "err.change_host.same" {
			t.Errorf("transfer = %v, %v", fe, err)
		}
	})
	t.Run("a transfer moves the request and says so publicly", func(t *testing.T) {
		fe, err := f.store.Transfer(f.ctx, a, &onboarding.HostChange{HostID: autre, Reason: "Plus proche de Paris"}, as("staff@lyon.example"))
		if err != nil || len(fe) > 0 {
			t.Fatalf("transfer = %v, %v", fe, err)
		}
		stored, _ := f.store.Get(f.ctx, a.ID)
		if stored.HostID != autre || stored.MatchReason != "Plus proche de Paris" || stored.Status != onboarding.StatusSubmitted {
			t.Errorf("stored %+v", stored)
		}
		if got := f.events(a.ID, true); got[len(got)-1] != "transferred" {
			t.Errorf("public events %q", got)
		}
		events, _ := f.store.Events(f.ctx, a.ID, false)
		last := events[len(events)-2]
		if last.Kind != "host_assigned" || last.Detail != "Plus proche de Paris" || last.Actor != "staff@lyon.example" || last.Public {
			t.Errorf("staff event %+v", last)
		}
	})
	t.Run("a stale copy of the request cannot transfer it", func(t *testing.T) {
		stale := *a
		stale.Version--
		if _, err := f.store.Transfer(f.ctx, &stale, &onboarding.HostChange{HostID: lyon, Reason: "x"}, as("x")); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("transfer = %v, want a conflict", err)
		}
	})
	t.Run("an approved request no longer moves", func(t *testing.T) {
		f.setStatus(a, onboarding.StatusApproved)
		if _, err := f.store.Transfer(f.ctx, a, &onboarding.HostChange{HostID: lyon, Reason: "x"}, as("x")); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("transfer = %v, want a conflict", err)
		}
	})
}

// Nothing is decided on, or added to, an erased request: the domain's own
// checks say "not found", whatever page asks.
func TestAnErasedRequestTakesNoDecisionAndNoNote(t *testing.T) {
	f := newMatchFixture(t)
	lyon := f.host("lyon", "69", "files", 5)
	a := f.request("69001", "files")
	if m, err := f.store.MatchHost(f.ctx, a); err != nil || !m.Found() || m.Host.ID != lyon {
		t.Fatalf("match = %+v %v", m, err)
	}
	admin := as("admin@archipel.example")
	if _, err := f.store.AddNote(f.ctx, admin, a.ID, onboarding.NoteForm{Body: "Avant l'effacement"}); err != nil {
		t.Fatalf("a note on the live request: %v", err)
	}
	if _, err := f.db.ExecContext(f.ctx, `UPDATE applications SET erased_at = $1 WHERE id = $2`, time.Now(), a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddNote(f.ctx, admin, a.ID, onboarding.NoteForm{Body: "Après l'effacement"}); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("a note on the erased request = %v, want not found", err)
	}
	err := f.db.Tx(f.ctx, func(tx *sql.Tx) error { return onboarding.DecidesOn(f.ctx, tx, admin, a.ID) })
	if apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("deciding on the erased request = %v, want not found", err)
	}
	var notes int
	if err := f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM application_notes WHERE application_id = $1`, a.ID).Scan(&notes); err != nil || notes != 1 {
		t.Errorf("%d notes (%v), want the one written before the erasure", notes, err)
	}
}
