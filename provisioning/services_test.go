package provisioning

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"archipel/onboarding"
	"archipel/provisioning/simulator"
)

// allServices is a plan with every service a host may offer.
var allServices = []string{ServiceFiles, ServiceCalendars, ServiceContacts, ServiceTeams, ServiceTasks, ServiceVideo}

// approveWith approves a request with the host's defaults but the given services.
func (env *testEnv) approveWith(h *testHost, app *onboarding.Application, services []string) string {
	env.tb.Helper()
	o := DefaultPlanOptions(app, h.Host)
	o.Services = services
	id, err := env.Engine.Approve(env.ctx, app, h.Host, o, testAdmin)
	if err != nil {
		env.tb.Fatalf("approve: %v", err)
	}
	return id
}

// withApps installs Deck and Talk on every host of the environment (the
// 27.1 simulator has neither by default).
func withApps(env *testEnv) *testEnv {
	for _, h := range env.hosts {
		h.Sim.SetApp("deck", true)
		h.Sim.SetApp("spreed", true)
	}
	return env
}

// serviceProblems compares a host's service objects with what the
// workspaces should hold, each exactly once; want maps a job to the
// services it should have.
func serviceProblems(sv simulator.ServiceState, jobs []*Job, want map[string]bool) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	calendars, books, teams, boards, rooms := 0, 0, 0, 0, 0
	for _, j := range jobs {
		g, u := j.State.GroupID, j.State.UserID
		principal := "principals/groups/" + g
		one := func(kind string, cols []simulator.Collection, counter *int) {
			var found []simulator.Collection
			for _, c := range cols {
				if _, ok := c.Shares[principal]; ok {
					found = append(found, c)
				}
			}
			if !want[kind] {
				if len(found) != 0 {
					add("%s: %d %s shared with it, want none", g, len(found), kind)
				}
				return
			}
			*counter++
			if len(found) != 1 {
				add("%s: %d %s shared with it, want 1", g, len(found), kind)
				return
			}
			c := found[0]
			if c.Owner != simulator.DefaultAdminUser || c.Deleted || len(c.Shares) != 1 || !c.Shares[principal] {
				add("%s %s/%s: deleted %v, shares %v; want the provisioning account's, live, shared read-write with %s only",
					kind, c.Owner, c.URI, c.Deleted, c.Shares, g)
			}
			if !strings.Contains(c.DisplayName, j.Plan.AssociationName) {
				add("%s %s is named %q, not after %q", kind, c.URI, c.DisplayName, j.Plan.AssociationName)
			}
		}
		one("calendars", sv.Calendars, &calendars)
		one("address books", sv.AddressBooks, &books)

		var ts []simulator.Team
		for _, t := range sv.Teams {
			if slices.Contains(t.Members, "group:"+g) || strings.EqualFold(t.Owner, u) {
				ts = append(ts, t)
			}
		}
		switch {
		case !want["teams"] && len(ts) != 0:
			add("%s: %d teams, want none", g, len(ts))
		case want["teams"] && len(ts) != 1:
			add("%s: %d teams, want 1: %+v", g, len(ts), ts)
		case want["teams"]:
			teams++
			if t := ts[0]; !strings.EqualFold(t.Owner, u) || !slices.Equal(t.Members, []string{"group:" + g}) {
				add("team %s: owner %s, members %v; want %s, [group:%s]", t.ID, t.Owner, t.Members, u, g)
			}
		}

		var bs []simulator.Board
		for _, b := range sv.Boards {
			if _, ok := b.ACL["group:"+g]; ok {
				bs = append(bs, b)
			}
		}
		switch {
		case !want["boards"] && len(bs) != 0:
			add("%s: %d boards, want none", g, len(bs))
		case want["boards"] && len(bs) != 1:
			add("%s: %d boards shared with it, want 1: %+v", g, len(bs), bs)
		case want["boards"]:
			boards++
			b := bs[0]
			wantACL := map[string]string{"group:" + g: "e", "user:" + u: "esm"}
			if b.Deleted || b.Owner != simulator.DefaultAdminUser || b.Title != j.Plan.AssociationName || fmt.Sprint(b.ACL) != fmt.Sprint(wantACL) {
				add("board %d: %+v; want %q, live, owned by admin, ACL %v", b.ID, b, j.Plan.AssociationName, wantACL)
			}
		}

		var rs []simulator.Room
		for _, r := range sv.Rooms {
			if slices.Contains(r.Groups, g) {
				rs = append(rs, r)
			}
		}
		switch {
		case !want["rooms"] && len(rs) != 0:
			add("%s: %d conversations, want none", g, len(rs))
		case want["rooms"] && len(rs) != 1:
			add("%s: %d conversations, want 1", g, len(rs))
		case want["rooms"]:
			rooms++
		}
	}
	// Nothing more on the host than the workspaces' objects (and Deck's
	// welcome board of the provisioning account).
	count := func(kind string, got, want int) {
		if got != want {
			add("%d %s on the host, want %d", got, kind, want)
		}
	}
	count("calendars", len(sv.Calendars), calendars)
	count("address books", len(sv.AddressBooks), books)
	count("teams", len(sv.Teams), teams)
	welcome := 0
	for _, b := range sv.Boards {
		if b.Title == "Welcome to Nextcloud Deck!" {
			welcome++
		}
	}
	count("boards", len(sv.Boards)-welcome, boards)
	count("conversations", len(sv.Rooms), rooms)
	return problems
}

func everything() map[string]bool {
	return map[string]bool{"calendars": true, "address books": true, "teams": true, "boards": true, "rooms": true}
}

func (env *testEnv) checkServices(h *testHost, jobs []*Job, want map[string]bool) {
	env.tb.Helper()
	for _, p := range serviceProblems(h.Sim.Services(), jobs, want) {
		env.tb.Error(p)
	}
}

func TestApprovedServicesAreProvisionedOnce(t *testing.T) {
	for _, kind := range spaceKinds {
		t.Run("calendar, contacts, Team, board and conversation are made and described "+kind.name, func(t *testing.T) {
			t.Parallel()
			env := withApps(newTestEnv(t, envConfig{NoGroupFolders: !kind.groupFolders, RPS: fastRPS}))
			h := env.Host
			app := env.newRequest(h, association{})
			id := env.approveWith(h, app, allServices)
			j, _ := env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("job %s %s: %s", j.Status, j.ErrorKey, strings.Join(env.Log.failures(id), "; "))
			}
			env.checkHost(h, kind.groupFolders, []workspace{env.workspaceOf(j)}, seeded{})
			env.checkServices(h, []*Job{j}, everything())
			for _, step := range ServiceSteps {
				if st := j.step(step); st.Status != StepStatusDone || st.Detail == "" {
					t.Errorf("step %s: %s %q", step, st.Status, st.Detail)
				}
			}
			mails := env.readyMails(t)
			if len(mails) != 1 {
				t.Fatalf("%d ready e-mails", len(mails))
			}
			body := mails[0].Text
			sv := j.State.Services
			for _, want := range []string{
				"Agenda Les Amis du Vélo", "Contacts Les Amis du Vélo", "Équipe Les Amis du Vélo",
				h.NextcloudURL + "/index.php/apps/deck/board/" + fmt.Sprint(sv.BoardID),
				h.NextcloudURL + "/index.php/call/" + sv.Conversation,
				h.NextcloudURL + "/remote.php/dav", // no calendar web app on the host: the CalDAV address
			} {
				if !strings.Contains(body, want) {
					t.Errorf("the ready e-mail does not say %q:\n%s", want, body)
				}
			}
			doc := welcomeDocument(t, env, h, j, "Bienvenue.md")
			for _, want := range []string{"## Les outils préparés pour le groupe", "Agenda Les Amis du Vélo",
				"/index.php/apps/deck/board/", "/index.php/call/"} {
				if !strings.Contains(doc, want) {
					t.Errorf("the welcome document does not say %q:\n%s", want, doc)
				}
			}
			if strings.Contains(doc, "ne propose pas la visioconférence") {
				t.Error("the welcome document says the host has no video calls, yet it has Talk")
			}
			// Members see what was shared with their group.
			offer, err := env.Hosts.Offer(env.ctx, h.ID)
			must(t, err)
			if !offer.Known() || !offer.Has(ServiceTasks) || !offer.Has(ServiceTeams) || !offer.Has(ServiceVideo) || offer.Has(ServiceForms) {
				t.Errorf("offer kept with the host: %+v", offer)
			}
		})
	}
}

// welcomeDocument renders a welcome document as the documents step placed
// it (the provisioning account has no access left to a group folder).
func welcomeDocument(t *testing.T, env *testEnv, h *testHost, j *Job, name string) string {
	t.Helper()
	for _, d := range j.Plan.Documents {
		if d.Name == name {
			b, err := renderDocument(d, j.Plan, h.Host, &j.State)
			must(t, err)
			return string(b)
		}
	}
	t.Fatalf("no document %s in the plan", name)
	return ""
}

func TestAHostWithoutDeckOrTeamsGetsNeitherAndNoError(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	h := env.Host
	h.Sim.SetApp("deck", false)
	h.Sim.SetApp("circles", false)
	app := env.newRequest(h, association{})
	id := env.approveWith(h, app, allServices)
	j, _ := env.settle(id)
	if j.Status != JobSucceeded {
		t.Fatalf("job %s %s: %s", j.Status, j.ErrorKey, strings.Join(env.Log.failures(id), "; "))
	}
	if f := env.Log.failures(id); len(f) != 0 {
		t.Errorf("failures: %q", f)
	}
	env.checkServices(h, []*Job{j}, map[string]bool{"calendars": true, "address books": true})
	for _, step := range []string{StepTeam, StepBoard, StepTalk} {
		if st := j.step(step); st.Status != StepStatusDone || !strings.Contains(st.Detail, "no_app") {
			t.Errorf("step %s: %s %q, want done saying nothing was made", step, st.Status, st.Detail)
		}
	}
	if calls := h.Sim.RouteCalls(); calls["POST /apps/deck/boards"]+calls["POST /ocs/apps/circles/admin/{as}/circles"] != 0 {
		t.Errorf("the engine called an app the host does not have: %v", calls)
	}
	mails := env.readyMails(t)
	if len(mails) != 1 {
		t.Fatalf("%d ready e-mails", len(mails))
	}
	for _, want := range []string{"Non proposé par votre hébergeur", "Tableaux de tâches", "Visioconférence", "comment tenir une réunion"} {
		if !strings.Contains(mails[0].Text, want) {
			t.Errorf("the ready e-mail does not say %q:\n%s", want, mails[0].Text)
		}
	}
	doc := welcomeDocument(t, env, h, j, "Bienvenue.md")
	if !strings.Contains(doc, "Jitsi Meet") || !strings.Contains(doc, "tableaux de tâches") {
		t.Errorf("the welcome document does not say how to hold a call, or what is missing:\n%s", doc)
	}
}

// serviceFirstCalls are the first call of each service step on a host
// with every app (the host's reads at preflight precede them).
var serviceFirstCalls = []faultTarget{
	{StepPreflight, "GET /ocs/cloud/apps", 1},
	{StepCalendar, "PROPFIND /dav/calendars", 1},
	{StepContacts, "PROPFIND /dav/addressbooks", 1},
	{StepTeam, "POST /ocs/apps/circles/admin/{as}/circles", 1},
	{StepBoard, "POST /apps/deck/boards", 1},
	{StepTalk, "POST /ocs/apps/spreed/api/v4/room", 1},
}

// serviceActingCalls are the service calls whose effect stays when their
// answer is lost.
var serviceActingCalls = []faultTarget{
	{StepCalendar, "MKCALENDAR /dav/calendars", 1},
	{StepCalendar, "POST /dav/calendars", 1},
	{StepContacts, "MKCOL /dav/addressbooks", 1},
	{StepContacts, "POST /dav/addressbooks", 1},
	{StepTeam, "POST /ocs/apps/circles/admin/{as}/circles", 1},
	{StepTeam, "POST /ocs/apps/circles/admin/{as}/circles/{id}/members", 1},
	{StepBoard, "POST /apps/deck/boards", 1},
	{StepBoard, "POST /apps/deck/boards/{id}/acl", 1},
	{StepBoard, "POST /apps/deck/boards/{id}/acl", 2},
	{StepTalk, "POST /ocs/apps/spreed/api/v4/room", 1},
}

func TestServiceStepsRecoverFromPassingFailuresWithoutDuplicates(t *testing.T) {
	type tc struct {
		name   string
		target faultTarget
		kind   faultKind
	}
	var cases []tc
	for _, target := range serviceFirstCalls {
		for _, kind := range passingFaults {
			cases = append(cases, tc{fmt.Sprintf("%s step recovers from %s on %s (call %d)", target.step, kind.name, target.route, target.nth), target, kind})
		}
	}
	for _, target := range serviceActingCalls {
		cases = append(cases, tc{fmt.Sprintf("%s step recovers from %s on %s (call %d)", target.step, lostAnswer.name, target.route, target.nth), target, lostAnswer})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := envConfig{RPS: fastRPS, Transport: noKeepAlive}
			if c.kind.maintenance > 0 {
				cfg.Wrap = func(sim *simulator.Simulator) http.Handler {
					return &maintenanceWindow{sim: sim, calls: c.kind.maintenance}
				}
			}
			env := withApps(newTestEnv(t, cfg))
			h := env.Host
			rule := c.kind.rule
			rule.Route, rule.Nth = c.target.route, c.target.nth
			h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{rule}})
			app := env.newRequest(h, association{})
			id := env.approveWith(h, app, allServices)
			j, _ := env.settle(id)
			if j.Status != JobSucceeded {
				t.Fatalf("job %s at %s (%s): %s", j.Status, j.ErrorKey, j.ErrorDetail, strings.Join(env.Log.failures(id), "; "))
			}
			var want, got []string
			for range c.kind.failures {
				want = append(want, fmt.Sprintf("%s: %s (retry)", c.target.step, c.kind.key))
			}
			// On a loaded machine (-race, many tests at once) another call
			// may outlast the test's 500 ms call bound: such a retry of
			// another step is no failure of the one under test.
			for _, f := range env.Log.failures(id) {
				if strings.HasPrefix(f, c.target.step+": ") {
					got = append(got, f)
				} else if f != strings.SplitN(f, ":", 2)[0]+": prov.error.unavailable (retry)" {
					t.Errorf("unexpected failure %q", f)
				}
			}
			extraOK := true
			for _, f := range got[min(len(want), len(got)):] {
				extraOK = extraOK && f == c.target.step+": prov.error.unavailable (retry)"
			}
			if len(got) < len(want) || !slices.Equal(got[:len(want)], want) || !extraOK {
				t.Errorf("failures of the %s step %q, want %q", c.target.step, got, want)
			}
			env.checkHost(h, true, []workspace{env.workspaceOf(j)}, seeded{})
			env.checkServices(h, []*Job{j}, everything())
		})
	}
}

func TestServiceStepsStopAtPermanentFailuresAndResume(t *testing.T) {
	kinds := []struct {
		name   string
		status int
		key    string
	}{
		{"a 401", http.StatusUnauthorized, "prov.error.unauthorized"},
		{"a 403", http.StatusForbidden, "prov.error.forbidden"},
	}
	for _, target := range serviceFirstCalls[1:] {
		for _, k := range kinds {
			t.Run(fmt.Sprintf("%s step stops at %s on %s and resumes when retried", target.step, k.name, target.route), func(t *testing.T) {
				t.Parallel()
				env := withApps(newTestEnv(t, envConfig{RPS: fastRPS}))
				h := env.Host
				h.Sim.SetFaults(simulator.Faults{Rules: []simulator.FaultRule{{Route: target.route, Nth: target.nth, Action: simulator.Fail, Status: k.status}}})
				app := env.newRequest(h, association{})
				id := env.approveWith(h, app, allServices)
				j, _ := env.settle(id)
				if j.Status != JobFailed || j.ErrorKey != k.key {
					t.Fatalf("job %s %s, want failed %s", j.Status, j.ErrorKey, k.key)
				}
				if st := j.step(target.step); st.Status != StepStatusFailed || st.Attempts != 1 {
					t.Errorf("step %s: %s after %d attempts", target.step, st.Status, st.Attempts)
				}
				h.Sim.SetFaults(simulator.Faults{})
				must(t, env.Engine.Jobs.Retry(env.ctx, testAdmin, id))
				j, _ = env.settle(id)
				if j.Status != JobSucceeded {
					t.Fatalf("after retry: job %s %s", j.Status, j.ErrorKey)
				}
				env.checkServices(h, []*Job{j}, everything())
			})
		}
	}
}

// shareSkipper makes the calendar's share name a group that does not
// exist, as if the group had been deleted meanwhile: Nextcloud then answers
// 200 and shares nothing.
type shareSkipper struct{ sim *simulator.Simulator }

func (s shareSkipper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/remote.php/dav/calendars/") {
		b, _ := io.ReadAll(r.Body)
		b = []byte(strings.ReplaceAll(string(b), "principals/groups/les-amis-du-velo", "principals/groups/les-amis-du-velo-gone"))
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	}
	s.sim.ServeHTTP(w, r)
}

func TestAShareNextcloudIgnoresIsNotTakenForDone(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS, Wrap: func(sim *simulator.Simulator) http.Handler { return shareSkipper{sim: sim} }})
	h := env.Host
	app := env.newRequest(h, association{})
	id := env.approveWith(h, app, []string{ServiceFiles, ServiceCalendars})
	j, _ := env.settle(id)
	if j.Status != JobFailed || j.ErrorKey != "prov.error.share_ignored" {
		t.Fatalf("job %s %s, want failed prov.error.share_ignored", j.Status, j.ErrorKey)
	}
	if st := j.step(StepCalendar); st.Status != StepStatusFailed {
		t.Errorf("calendar step %s", st.Status)
	}
	if n := h.Sim.RouteCalls()["POST /dav/calendars"]; n != 1 {
		t.Errorf("%d share requests, want 1", n)
	}
}

func TestACalendarTheJobDidNotMakeIsNeverAdopted(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS})
	h := env.Host
	// Someone's calendar at the URI the job would choose, in the trash bin:
	// it still blocks the URI and is not the job's to restore or purge.
	c := h.adminClient(t)
	must(t, c.CreateCalendar(env.ctx, "archipel-les-amis-du-velo", "Ancien agenda", "#000000"))
	must(t, c.DeleteCalendar(env.ctx, "archipel-les-amis-du-velo", false))
	app := env.newRequest(h, association{})
	id := env.approveWith(h, app, []string{ServiceFiles, ServiceCalendars})
	j, _ := env.settle(id)
	if j.Status != JobSucceeded {
		t.Fatalf("job %s %s", j.Status, j.ErrorKey)
	}
	if got := j.State.Services.Calendar; got != "archipel-les-amis-du-velo-2" {
		t.Errorf("calendar %q, want the next URI", got)
	}
	old, err := c.Calendar(env.ctx, "archipel-les-amis-du-velo")
	must(t, err)
	if !old.Deleted || old.DisplayName != "Ancien agenda" || len(old.Sharees) != 0 {
		t.Errorf("the calendar in the trash bin was touched: %+v", old)
	}
}

func TestTheOfferDecidesTheDefaultServices(t *testing.T) {
	full := Offer{Apps: []string{"circles", "dav", "deck"}, CheckedAt: testNow}
	bare := Offer{Apps: []string{"dav"}, CheckedAt: testNow}
	tests := []struct {
		name  string
		asked []string
		offer Offer
		want  []string
	}{
		{"a host with Teams and Deck gives what was asked and a Team", []string{"files", "calendars", "tasks", "video"}, full, []string{"files", "calendars", "teams", "tasks"}},
		{"a host with dav only leaves boards out", []string{"files", "calendars", "contacts", "tasks"}, bare, []string{"files", "calendars", "contacts"}},
		{"files alone bring no Team", []string{"files"}, full, []string{"files"}},
		{"an unknown host offers calendars and contacts", []string{"calendars", "tasks"}, Offer{}, []string{"calendars"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultServices(tt.asked, tt.offer); !slices.Equal(got, tt.want) {
				t.Errorf("DefaultServices(%v) = %v, want %v", tt.asked, got, tt.want)
			}
		})
	}
	if got := bare.Unserved([]string{"files", "tasks", "video", "office"}); !slices.Equal(got, []string{"tasks", "video", "office"}) {
		t.Errorf("Unserved = %v", got)
	}
	if !(Offer{Apps: []string{"onlyoffice"}, CheckedAt: testNow}).Has(ServiceOffice) {
		t.Error("ONLYOFFICE does not count as online office")
	}
}

// testNow is a fixed moment for values that only need one.
var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestTheDemoRequestGetsItsServicesOnNextcloud34 is the demo's path: a
// request asking for calendars, contacts and task boards, approved on a
// Nextcloud 34.0.1 host (connected with its login password) with the
// services the approval form proposes, gets a shared calendar, a shared
// address book, a Team and a board, each once, and the e-mail says where.
func TestTheDemoRequestGetsItsServicesOnNextcloud34(t *testing.T) {
	env := newTestEnv(t, envConfig{RPS: fastRPS, SimOptions: simulator.Options{Profile: simulator.Profile34()}})
	h := env.addHost("ile-34", "L'Île numérique", false)
	app := env.newRequest(h, association{})
	app.Answers.Needs.Services = []string{ServiceFiles, ServiceCalendars, ServiceContacts, ServiceTasks}
	offer, err := env.Hosts.OfferFor(env.ctx, h.ID)
	must(t, err)
	services := DefaultServices(app.Answers.Needs.Services, offer)
	if want := []string{ServiceFiles, ServiceCalendars, ServiceContacts, ServiceTeams, ServiceTasks}; !slices.Equal(services, want) {
		t.Fatalf("the approval form would propose %v, want %v", services, want)
	}
	id := env.approveWith(h, app, services)
	j, _ := env.settle(id)
	if j.Status != JobSucceeded {
		t.Fatalf("job %s %s (%s): %s", j.Status, j.ErrorKey, j.ErrorDetail, strings.Join(env.Log.failures(id), "; "))
	}
	env.checkServices(h, []*Job{j}, map[string]bool{"calendars": true, "address books": true, "teams": true, "boards": true})
	mails := env.readyMails(t)
	if len(mails) != 1 {
		t.Fatalf("%d ready e-mails", len(mails))
	}
	for _, want := range []string{"Agenda Les Amis du Vélo", "Contacts Les Amis du Vélo", "Équipe Les Amis du Vélo",
		fmt.Sprintf("%s/index.php/apps/deck/board/%d", h.NextcloudURL, j.State.Services.BoardID)} {
		if !strings.Contains(mails[0].Text, want) {
			t.Errorf("the ready e-mail does not say %q:\n%s", want, mails[0].Text)
		}
	}
}

func TestDisablingKeepsTheServicesAndErasureRemovesThem(t *testing.T) {
	env := withApps(newTestEnv(t, envConfig{RPS: fastRPS}))
	h := env.Host
	app := env.newRequest(h, association{})
	id := env.approveWith(h, app, allServices)
	j, _ := env.settle(id)
	if j.Status != JobSucceeded {
		t.Fatalf("job %s %s", j.Status, j.ErrorKey)
	}
	if _, err := env.Engine.DisableWorkspace(env.ctx, testAdmin, app.ID); err != nil {
		t.Fatalf("disable: %v", err)
	}
	env.checkServices(h, []*Job{j}, everything())

	for round := range 2 { // a second run finds everything gone: no error
		if err := env.Engine.RemoveServices(env.ctx, app.ID); err != nil {
			t.Fatalf("remove services (run %d): %v", round+1, err)
		}
	}
	sv := h.Sim.Services()
	if len(sv.Calendars) != 0 || len(sv.AddressBooks) != 0 || len(sv.Teams) != 0 || len(sv.Rooms) != 0 {
		t.Errorf("left after erasure: %d calendars (trash bin included), %d address books, %d teams, %d conversations",
			len(sv.Calendars), len(sv.AddressBooks), len(sv.Teams), len(sv.Rooms))
	}
	for _, b := range sv.Boards {
		if b.ID == j.State.Services.BoardID && !b.Deleted {
			t.Errorf("board %d not deleted", b.ID)
		}
	}
}
