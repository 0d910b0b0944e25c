package onboarding_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/onboarding"
)

// queueNames lists the associations of a queue, in its order.
func queueNames(t *testing.T, items []onboarding.QueueItem) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		out = append(out, it.Answers.Association.Name)
	}
	return out
}

// named gives a submitted request an association name of its own.
func (f *storeFixture) named(name, email string, change func(a *onboarding.Answers)) *onboarding.Application {
	f.t.Helper()
	a, _ := f.create("", email)
	f.complete(a)
	a.Answers.Association.Name = name
	if change != nil {
		change(&a.Answers)
	}
	ctx := context.Background()
	if err := f.store.Save(ctx, a, onboarding.StepHost); err != nil {
		f.t.Fatalf("save: %v", err)
	}
	if err := f.store.Verify(ctx, a); err != nil {
		f.t.Fatalf("verify: %v", err)
	}
	if err := f.store.Submit(ctx, a, f.hosts); err != nil {
		f.t.Fatalf("submit: %v", err)
	}
	return a
}

func TestQueue(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	velo := f.named("Vélo", "a@velo.example", nil)
	chorale := f.named("Chorale", "b@chorale.example", func(a *onboarding.Answers) {
		a.Host.Choice = "recif-solidaire"
		a.Needs.Services = []string{"files", "video"}
	})
	jardin := f.named("Jardin", "c@jardin.example", nil)
	if _, _, err := f.store.Create(ctx, "fr", validAssociation()); err != nil { // a draft, never listed
		t.Fatal(err)
	}
	if err := f.store.Transition(ctx, nil, jardin, onboarding.StatusDeclined, "staff@ile.example", "complet"); err != nil {
		t.Fatal(err)
	}
	// The fixture's clock moved a second per call: make Vélo 10 days old.
	if _, err := f.db.ExecContext(ctx, `UPDATE applications SET submitted_at = $1 WHERE id = $2`,
		velo.SubmittedAt.AddDate(0, 0, -10), velo.ID); err != nil {
		t.Fatal(err)
	}
	_ = chorale
	tests := []struct {
		name   string
		filter onboarding.QueueFilter
		want   []string
	}{
		{"every host's requests are listed, oldest first, drafts never", onboarding.QueueFilter{}, []string{"Vélo", "Chorale", "Jardin"}},
		{"a host sees only its own", onboarding.QueueFilter{HostID: "h-ile"}, []string{"Vélo", "Jardin"}},
		{"the other host sees only its own", onboarding.QueueFilter{HostID: "h-recif"}, []string{"Chorale"}},
		{"a status filter keeps that status", onboarding.QueueFilter{HostID: "h-ile", Status: onboarding.StatusDeclined}, []string{"Jardin"}},
		{"an age filter keeps older requests", onboarding.QueueFilter{OlderThan: 5}, []string{"Vélo"}},
		{"a service filter keeps who wants it", onboarding.QueueFilter{Services: []string{"video"}}, []string{"Chorale"}},
		{"several services must all be wanted", onboarding.QueueFilter{Services: []string{"files", "calendars"}}, []string{"Vélo", "Jardin"}},
		{"an unknown host has nothing", onboarding.QueueFilter{HostID: "h-nowhere"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.store.Queue(ctx, queueAdmin, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := queueNames(t, res.Items); !slices.Equal(got, tt.want) {
				t.Errorf("queue = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("the queue names each request's host", func(t *testing.T) {
		res, err := f.store.Queue(ctx, queueAdmin, onboarding.QueueFilter{HostID: "h-recif"})
		if err != nil || len(res.Items) != 1 || res.Items[0].HostName != "Récif solidaire" {
			t.Fatalf("result = %+v, %v", res, err)
		}
	})
	t.Run("counts are per status whatever status is asked for", func(t *testing.T) {
		counts, err := f.store.QueueCounts(ctx, queueAdmin, onboarding.QueueFilter{HostID: "h-ile", Status: onboarding.StatusSubmitted})
		if err != nil {
			t.Fatal(err)
		}
		got := map[onboarding.Status]int{}
		for _, c := range counts {
			got[c.Status] = c.Count
		}
		if len(counts) != len(onboarding.QueueStatuses) || got[onboarding.StatusSubmitted] != 1 || got[onboarding.StatusDeclined] != 1 || got[onboarding.StatusReady] != 0 {
			t.Errorf("counts = %+v", counts)
		}
	})
}

func TestQueueQueryFilter(t *testing.T) {
	tests := []struct {
		name   string
		query  onboarding.QueueQuery
		errors []string
	}{
		{"an empty query filters nothing", onboarding.QueueQuery{}, nil},
		{"known values are accepted", onboarding.QueueQuery{Status: "submitted", OlderThan: " 14 ", Services: []string{"files"}}, nil},
		{"a draft is not a queue status", onboarding.QueueQuery{Status: "draft"}, []string{"filter_status=err.choice"}},
		{"an age must be a number", onboarding.QueueQuery{OlderThan: "deux"}, []string{"older_than=err.number"}},
		{"an age has bounds", onboarding.QueueQuery{OlderThan: "-1"}, []string{"older_than=err.older_than.range"}},
		{"a service must be one offered, so no wildcard reaches SQL", onboarding.QueueQuery{Services: []string{"%"}}, []string{"filter_services=err.choice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fe := tt.query.Filter()
			var got []string
			for _, e := range fe {
				got = append(got, e.Field+"="+e.Key)
			}
			if !slices.Equal(got, tt.errors) {
				t.Errorf("errors = %q, want %q", got, tt.errors)
			}
		})
	}
}

func TestRequestInfoReopensSteps(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	t.Run("a request without steps or message is refused", func(t *testing.T) {
		r := onboarding.InfoRequest{}
		fe := r.Validate()
		if fe.For("info_steps") != "err.info_steps.required" || fe.For("info_message") != "err.info_message.required" {
			t.Errorf("errors = %v", fe)
		}
		r = onboarding.InfoRequest{Steps: []string{"recapitulatif"}, Message: "x"}
		if fe := r.Validate(); fe.For("info_steps") != "err.choice" {
			t.Errorf("the review step was accepted: %v", fe)
		}
	})
	r := onboarding.InfoRequest{Steps: []string{"besoins", "membres"}, Message: " Combien de bénévoles ? "}
	if err := f.store.RequestInfo(ctx, a, r, as("staff@ile.example")); err != nil {
		t.Fatal(err)
	}
	if a.Status != onboarding.StatusInfoRequested || !a.Editable() {
		t.Fatalf("status %s, editable %t", a.Status, a.Editable())
	}
	steps, err := f.store.ReopenedSteps(ctx, a.ID)
	if err != nil || !slices.Equal(steps, []onboarding.Step{onboarding.StepMembers, onboarding.StepNeeds}) {
		t.Errorf("reopened = %v, %v", steps, err)
	}
	events, _ := f.store.Events(ctx, a.ID, true)
	if got := onboarding.LastDetail(events, "info_requested"); got != "Combien de bénévoles ?" {
		t.Errorf("the message in the public timeline is %q", got)
	}
	t.Run("the association resubmits", func(t *testing.T) {
		if err := f.store.Submit(ctx, a, f.hosts); err != nil {
			t.Fatal(err)
		}
		if a.Status != onboarding.StatusSubmitted {
			t.Errorf("status %s", a.Status)
		}
	})
	t.Run("a stale version is a conflict", func(t *testing.T) {
		stale := *a
		stale.Version--
		wantCode(t, f.store.RequestInfo(ctx, &stale, r, as("x")), apperr.Conflict, "err.request.changed")
	})
}

func TestDeclineRequest(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	wantCode(t, f.store.DeclineRequest(ctx, a, onboarding.Decline{Reason: "  "}, as("x")), apperr.Invalid, "err.decline_reason.required")
	if err := f.store.DeclineRequest(ctx, a, onboarding.Decline{Reason: "Nous sommes complets."}, as("staff@ile.example")); err != nil {
		t.Fatal(err)
	}
	if a.Status != onboarding.StatusDeclined {
		t.Errorf("status %s", a.Status)
	}
	wantCode(t, f.store.DeclineRequest(ctx, a, onboarding.Decline{Reason: "encore"}, as("x")), apperr.Conflict, "")
}

func TestDeclineTemplates(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	full := &onboarding.DeclineTemplate{HostID: "h-ile", Language: "fr", Name: "Complet", Body: "Nous sommes complets."}
	if err := f.store.SaveDeclineTemplate(ctx, queueAdmin, full); err != nil {
		t.Fatal(err)
	}
	en := &onboarding.DeclineTemplate{HostID: "h-ile", Language: "en", Name: "Full", Body: "We are full."}
	if err := f.store.SaveDeclineTemplate(ctx, queueAdmin, en); err != nil {
		t.Fatal(err)
	}
	other := &onboarding.DeclineTemplate{HostID: "h-recif", Language: "fr", Name: "Ailleurs", Body: "Hors territoire."}
	if err := f.store.SaveDeclineTemplate(ctx, queueAdmin, other); err != nil {
		t.Fatal(err)
	}
	t.Run("a host's templates in one language", func(t *testing.T) {
		list, err := f.store.DeclineTemplates(ctx, "h-ile", "fr")
		if err != nil || len(list) != 1 || list[0].Name != "Complet" {
			t.Errorf("list = %+v, %v", list, err)
		}
		all, _ := f.store.DeclineTemplates(ctx, "h-ile", "")
		if len(all) != 2 {
			t.Errorf("all = %+v", all)
		}
	})
	t.Run("a template is changed by its host only", func(t *testing.T) {
		full.Body = "Complets jusqu'en septembre."
		if err := f.store.SaveDeclineTemplate(ctx, queueAdmin, full); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.DeclineTemplate(ctx, "h-ile", full.ID)
		if err != nil || got.Body != "Complets jusqu'en septembre." {
			t.Errorf("got %+v, %v", got, err)
		}
		stolen := *other
		stolen.HostID = "h-ile"
		wantCode(t, f.store.SaveDeclineTemplate(ctx, queueAdmin, &stolen), apperr.NotFound, "")
		_, err = f.store.DeclineTemplate(ctx, "h-ile", other.ID)
		wantCode(t, err, apperr.NotFound, "")
		wantCode(t, f.store.DeleteDeclineTemplate(ctx, queueAdmin, "h-ile", other.ID), apperr.NotFound, "")
	})
	t.Run("an invalid template is refused", func(t *testing.T) {
		bad := &onboarding.DeclineTemplate{HostID: "h-ile", Language: "de", Name: "", Body: strings.Repeat("x", 4001)}
		fe := bad.Validate()
		if fe.For("template_name") == "" || fe.For("template_language") != "err.choice" || fe.For("template_body") != "err.too_long" {
			t.Errorf("errors = %v", fe)
		}
		wantCode(t, f.store.SaveDeclineTemplate(ctx, queueAdmin, bad), apperr.Invalid, "")
	})
	t.Run("a template is deleted", func(t *testing.T) {
		if err := f.store.DeleteDeclineTemplate(ctx, queueAdmin, "h-ile", en.ID); err != nil {
			t.Fatal(err)
		}
		all, _ := f.store.DeclineTemplates(ctx, "h-ile", "")
		if len(all) != 1 {
			t.Errorf("all = %+v", all)
		}
	})
	count := func(hostID string) int {
		t.Helper()
		all, err := f.store.DeclineTemplates(ctx, hostID, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	t.Run("those who decide write their host's templates only", func(t *testing.T) {
		staff := &accounts.User{ID: "s", Email: "s@ile.example", Role: accounts.RoleStaff, HostID: "h-ile"}
		mine := &onboarding.DeclineTemplate{HostID: "h-ile", Language: "fr", Name: "Plus tard", Body: "Revenez en septembre."}
		if err := f.store.SaveDeclineTemplate(ctx, staff, mine); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			actor *accounts.User
			host  string
		}{
			{"staff writing another host's", staff, "h-recif"},
			{"a trainer of the host", &accounts.User{ID: "t", Role: accounts.RoleTrainer, HostID: "h-ile"}, "h-ile"},
			{"staff of another host", &accounts.User{ID: "r", Role: accounts.RoleStaff, HostID: "h-recif"}, "h-ile"},
			{"a staff account without host", &accounts.User{ID: "n", Role: accounts.RoleStaff}, "h-ile"},
			{"an administrator, for a host that does not exist", queueAdmin, "h-nowhere"},
			{"nobody", nil, "h-ile"},
		} {
			before := count(tc.host)
			tpl := &onboarding.DeclineTemplate{HostID: tc.host, Language: "fr", Name: "Intrus", Body: "Non."}
			wantCode(t, f.store.SaveDeclineTemplate(ctx, tc.actor, tpl), apperr.NotFound, "")
			if tc.host == "h-ile" {
				wantCode(t, f.store.DeleteDeclineTemplate(ctx, tc.actor, "h-ile", mine.ID), apperr.NotFound, "")
			}
			if count(tc.host) != before {
				t.Errorf("%s: the templates changed", tc.name)
			}
		}
		if err := f.store.DeleteDeclineTemplate(ctx, staff, "h-ile", mine.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a failing audit write keeps nothing", func(t *testing.T) {
		audit := accounts.NewStore(f.db, nil)
		gone, cancel := context.WithCancel(ctx)
		cancel()
		lines := func() (n int) {
			t.Helper()
			if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ($1, $2)`,
				accounts.ActionDeclineTemplateSaved, accounts.ActionDeclineTemplateDelete).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count("h-ile")
		tpl := &onboarding.DeclineTemplate{HostID: "h-ile", Language: "fr", Name: "Sans trace", Body: "Non."}
		if err := f.store.SaveDeclineTemplate(ctx, queueAdmin, tpl, audit.RecordIn(gone, queueAdmin, accounts.ActionDeclineTemplateSaved, "h-ile", "", "")); err == nil {
			t.Fatal("saved without its audit line")
		}
		if count("h-ile") != before || tpl.ID != "" || lines() != 0 {
			t.Errorf("kept %d templates (was %d), id %q, %d audit lines", count("h-ile"), before, tpl.ID, lines())
		}
		if err := f.store.SaveDeclineTemplate(ctx, queueAdmin, tpl, audit.RecordIn(ctx, queueAdmin, accounts.ActionDeclineTemplateSaved, "h-ile", "", "")); err != nil {
			t.Fatal(err)
		}
		if err := f.store.DeleteDeclineTemplate(ctx, queueAdmin, "h-ile", tpl.ID, audit.RecordIn(gone, queueAdmin, accounts.ActionDeclineTemplateDelete, "h-ile", "", "")); err == nil {
			t.Fatal("deleted without its audit line")
		}
		if count("h-ile") != before+1 || lines() != 1 {
			t.Errorf("%d templates, %d audit lines; want %d, 1", count("h-ile"), lines(), before+1)
		}
	})
}

func TestNotes(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	camille := &accounts.User{ID: "u1", Name: "Camille", Role: accounts.RoleAdmin}
	_, err := f.store.AddNote(ctx, camille, a.ID, onboarding.NoteForm{Body: "   "})
	wantCode(t, err, apperr.Invalid, "err.note_body.required")
	for _, body := range []string{"Appelée le 3 mars.", "Rappeler en avril."} {
		if _, err := f.store.AddNote(ctx, camille, a.ID, onboarding.NoteForm{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	notes, err := f.store.Notes(ctx, camille, a.ID)
	if err != nil || len(notes) != 2 || notes[0].Body != "Appelée le 3 mars." || notes[1].AuthorName != "Camille" || notes[0].CreatedAt.IsZero() {
		t.Errorf("notes = %+v, %v", notes, err)
	}
}
