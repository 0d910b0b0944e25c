package onboarding_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"archipel/apperr"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/onboarding"
	"archipel/privlink"
)

// storeFixture is a Store on a fresh database (SQLite, or PostgreSQL when
// ARCHIPEL_TEST_POSTGRES is set) with two open hosts and a paused one.
type storeFixture struct {
	t     *testing.T
	db    *database.DB
	store *onboarding.Store
	hosts []onboarding.Host
}

func newStoreFixture(t *testing.T) *storeFixture {
	t.Helper()
	db := dbtest.Open(t)
	// Every call moves the clock a second on, so that times are distinct.
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	f := &storeFixture{t: t, db: db, store: onboarding.NewStore(db, now)}
	for _, h := range []struct {
		id, slug, name string
		paused         bool
	}{
		{"h-ile", "ile-numerique", "L'Île numérique", false},
		{"h-recif", "recif-solidaire", "Récif solidaire", false},
		{"h-lagon", "lagon-complet", "Lagon complet", true},
	} {
		if _, err := db.ExecContext(context.Background(), `INSERT INTO hosts (id, slug, name, region, departements, services, paused, created_at, updated_at)
			VALUES ($1, $2, $3, 'Auvergne-Rhône-Alpes', '69,01', 'files,calendars', $4, $5, $5)`,
			h.id, h.slug, h.name, h.paused, clock); err != nil {
			t.Fatalf("seed host %s: %v", h.slug, err)
		}
	}
	hosts, err := f.store.OpenHosts(context.Background())
	if err != nil {
		t.Fatalf("open hosts: %v", err)
	}
	f.hosts = hosts
	return f
}

// create stores a draft for an association with the given legal id and
// address, and returns it with its private link token.
func (f *storeFixture) create(legalID, email string) (*onboarding.Application, string) {
	f.t.Helper()
	first := validAssociation()
	first.LegalID, first.ContactEmail = legalID, email
	if fe := first.Validate(); len(fe) > 0 {
		f.t.Fatalf("invalid first step: %v", fe)
	}
	a, token, err := f.store.Create(context.Background(), "fr", first)
	if err != nil {
		f.t.Fatalf("create: %v", err)
	}
	return a, token
}

// complete fills every step of a draft and saves it as the review.
func (f *storeFixture) complete(a *onboarding.Application) {
	f.t.Helper()
	email, legalID := a.Answers.Association.ContactEmail, a.Answers.Association.LegalID
	a.Answers = completeAnswers()
	a.Answers.Association.ContactEmail, a.Answers.Association.LegalID = email, legalID
	if err := f.store.Save(context.Background(), a, onboarding.StepHost); err != nil {
		f.t.Fatalf("save: %v", err)
	}
}

// submitted returns a verified, complete, submitted request.
func (f *storeFixture) submitted(legalID, email string) *onboarding.Application {
	f.t.Helper()
	a, _ := f.create(legalID, email)
	f.complete(a)
	ctx := context.Background()
	if err := f.store.Verify(ctx, a); err != nil {
		f.t.Fatalf("verify: %v", err)
	}
	if err := f.store.Submit(ctx, a, f.hosts); err != nil {
		f.t.Fatalf("submit: %v", err)
	}
	return a
}

// eventKinds lists a request's timeline.
func (f *storeFixture) eventKinds(id string, publicOnly bool) []string {
	f.t.Helper()
	events, err := f.store.Events(context.Background(), id, publicOnly)
	if err != nil {
		f.t.Fatalf("events: %v", err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// wantCode fails unless err is an apperr of that code and key.
func wantCode(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s (%s)", code, key)
	}
	if apperr.CodeOf(err) != code || (key != "" && apperr.KeyOf(err) != key) {
		t.Fatalf("error %v: want code %s, key %s", err, code, key)
	}
}

func TestStoreCreateAndByToken(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a, token := f.create("W691234567", "Anne@Example.org")
	other, otherToken := f.create("", "bob@example.org")

	t.Run("a new request is a draft at the second step", func(t *testing.T) {
		if a.Status != onboarding.StatusDraft || a.Step != onboarding.StepMembers || a.Version != 1 || a.Verified() {
			t.Errorf("new request: %+v", a)
		}
	})
	t.Run("the private link carries at least 128 random bits", func(t *testing.T) {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			t.Fatalf("token %q is not base64url: %v", token, err)
		}
		if len(raw) < 16 {
			t.Errorf("token has %d bits", len(raw)*8)
		}
		if token == otherToken {
			t.Error("two requests got the same token")
		}
	})
	t.Run("only the token's sha256 is stored", func(t *testing.T) {
		var hash string
		if err := f.db.QueryRowContext(ctx, `SELECT hash FROM application_tokens WHERE application_id = $1`, a.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if hash != privlink.Hash(token) || len(hash) != 64 {
			t.Errorf("stored %q, want the sha256 of the token", hash)
		}
		var n int
		if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM application_tokens t JOIN applications a ON a.id = t.application_id
			WHERE t.hash LIKE $1 OR a.answers LIKE $1 OR a.id LIKE $1`, "%"+token+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Error("the token is stored in clear")
		}
	})
	t.Run("the token opens its own request", func(t *testing.T) {
		got, err := f.store.ByToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != a.ID || got.Answers.Association.Name != "Les Amis du Vélo" || got.Language != "fr" || got.Step != onboarding.StepMembers {
			t.Errorf("ByToken = %+v", got)
		}
		got, err = f.store.ByToken(ctx, otherToken)
		if err != nil || got.ID != other.ID {
			t.Errorf("the other token opened %v, %v", got, err)
		}
	})
	t.Run("the address is stored lower-cased for duplicate detection", func(t *testing.T) {
		var email string
		if err := f.db.QueryRowContext(ctx, `SELECT contact_email FROM applications WHERE id = $1`, a.ID).Scan(&email); err != nil {
			t.Fatal(err)
		}
		if email != "anne@example.org" {
			t.Errorf("contact_email = %q", email)
		}
	})
	t.Run("a new link opens the same request and the old one keeps working", func(t *testing.T) {
		link, err := f.store.MailLink(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{link, token} {
			if got, err := f.store.ByToken(ctx, tok); err != nil || got.ID != a.ID {
				t.Errorf("ByToken = %v, %v", got, err)
			}
		}
	})
	for _, tt := range []struct{ name, token string }{
		{"an unknown token is not found", strings.Repeat("A", 43)},
		{"an empty token is not found", ""},
		{"a truncated token is not found", token[:20]},
		{"a token with a character added is not found", token + "x"},
		{"an overlong token is not found", strings.Repeat(token, 3)},
		{"the stored hash is not a token", privlink.Hash(token)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.store.ByToken(ctx, tt.token)
			wantCode(t, err, apperr.NotFound, "err.link.unknown")
		})
	}
	t.Run("an unknown id is not found", func(t *testing.T) {
		_, err := f.store.Get(ctx, "00000000-0000-0000-0000-000000000000")
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Get = %v, want not found", err)
		}
	})
}

func TestStoreSave(t *testing.T) {
	ctx := context.Background()
	t.Run("saving a step advances the furthest step and the version", func(t *testing.T) {
		f := newStoreFixture(t)
		a, _ := f.create("", "anne@example.org")
		a.Answers.Members = validMembers()
		if err := f.store.Save(ctx, a, onboarding.StepMembers); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Step != onboarding.StepTools || got.Version != 2 || a.Version != 2 || got.Answers.Members != validMembers() {
			t.Errorf("after save: step %d, version %d (in memory %d), members %+v", got.Step, got.Version, a.Version, got.Answers.Members)
		}
	})
	t.Run("revisiting an earlier step does not move the furthest step back", func(t *testing.T) {
		f := newStoreFixture(t)
		a, _ := f.create("", "anne@example.org")
		f.complete(a)
		a.Answers.Association.Name = "Les Amis du Vélo lyonnais"
		if err := f.store.Save(ctx, a, onboarding.StepAssociation); err != nil {
			t.Fatal(err)
		}
		got, _ := f.store.Get(ctx, a.ID)
		if got.Step != onboarding.StepReview || got.Answers.Association.Name != "Les Amis du Vélo lyonnais" {
			t.Errorf("step %d, name %q", got.Step, got.Answers.Association.Name)
		}
	})
	t.Run("a write from a stale copy is a conflict and changes nothing", func(t *testing.T) {
		f := newStoreFixture(t)
		a, token := f.create("", "anne@example.org")
		stale, err := f.store.ByToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		a.Answers.Members = validMembers()
		if err := f.store.Save(ctx, a, onboarding.StepMembers); err != nil {
			t.Fatal(err)
		}
		stale.Answers.Association.Name = "Écrasé"
		err = f.store.Save(ctx, stale, onboarding.StepAssociation)
		wantCode(t, err, apperr.Conflict, "err.request.changed")
		got, _ := f.store.Get(ctx, a.ID)
		if got.Answers.Association.Name != "Les Amis du Vélo" || got.Version != 2 {
			t.Errorf("stale write landed: %q, version %d", got.Answers.Association.Name, got.Version)
		}
	})
	t.Run("a submitted request cannot be saved", func(t *testing.T) {
		f := newStoreFixture(t)
		a := f.submitted("", "anne@example.org")
		err := f.store.Save(ctx, a, onboarding.StepAssociation)
		wantCode(t, err, apperr.Conflict, "err.request.locked")
	})
}

func TestStoreVerify(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a, token := f.create("", "anne@example.org")
	stale, _ := f.store.ByToken(ctx, token)

	t.Run("the first verification records the address as confirmed", func(t *testing.T) {
		if err := f.store.Verify(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, _ := f.store.Get(ctx, a.ID)
		if !a.Verified() || !got.Verified() {
			t.Errorf("verified in memory %t, stored %t", a.Verified(), got.Verified())
		}
	})
	t.Run("verifying again, even from a stale copy, changes nothing", func(t *testing.T) {
		first, _ := f.store.Get(ctx, a.ID)
		for _, app := range []*onboarding.Application{a, first, stale} {
			if err := f.store.Verify(ctx, app); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := f.store.Get(ctx, a.ID)
		if !got.EmailVerifiedAt.Equal(first.EmailVerifiedAt) {
			t.Errorf("verification time moved from %v to %v", first.EmailVerifiedAt, got.EmailVerifiedAt)
		}
		if kinds := f.eventKinds(a.ID, false); !slices.Equal(kinds, []string{"created", "email_verified"}) {
			t.Errorf("events = %q", kinds)
		}
	})
	t.Run("resetting forgets the confirmation and revokes the links sent so far", func(t *testing.T) {
		link, err := f.store.MailLink(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.ResetVerification(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, _ := f.store.Get(ctx, a.ID)
		if a.Verified() || got.Verified() {
			t.Errorf("still verified: in memory %t, stored %t", a.Verified(), got.Verified())
		}
		for _, tok := range []string{token, link} {
			_, err := f.store.ByToken(ctx, tok)
			wantCode(t, err, apperr.NotFound, "err.link.unknown")
		}
		fresh, err := f.store.MailLink(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.store.ByToken(ctx, fresh); err != nil || got.ID != a.ID {
			t.Errorf("a link made after the reset opens %v, %v", got, err)
		}
	})
}

func TestStoreSubmit(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(f *storeFixture, a *onboarding.Application)
		code    apperr.Code
		key     string
	}{
		{"an unverified request is forbidden", func(f *storeFixture, a *onboarding.Application) {
			f.complete(a)
		}, apperr.Forbidden, "err.request.unverified"},
		{"an incomplete request is invalid", func(f *storeFixture, a *onboarding.Application) {
			_ = f.store.Verify(ctx, a)
		}, apperr.Invalid, "err.request.incomplete"},
		{"a request without the required consents is invalid", func(f *storeFixture, a *onboarding.Application) {
			f.complete(a)
			_ = f.store.Verify(ctx, a)
			a.Answers.Consent = onboarding.ConsentStep{DataProcessing: "yes"}
		}, apperr.Invalid, "err.request.consent"},
		{"a request sent twice is a conflict", func(f *storeFixture, a *onboarding.Application) {
			f.complete(a)
			_ = f.store.Verify(ctx, a)
			if err := f.store.Submit(ctx, a, f.hosts); err != nil {
				f.t.Fatal(err)
			}
		}, apperr.Conflict, "err.request.already_submitted"},
		{"a request sent from a stale copy is a conflict", func(f *storeFixture, a *onboarding.Application) {
			f.complete(a)
			_ = f.store.Verify(ctx, a)
			a.Version--
		}, apperr.Conflict, "err.request.changed"},
		{"a withdrawn request cannot be sent", func(f *storeFixture, a *onboarding.Application) {
			f.complete(a)
			_ = f.store.Verify(ctx, a)
			_ = f.store.Withdraw(ctx, a)
		}, apperr.Conflict, "err.request.already_submitted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newStoreFixture(t)
			a, _ := f.create("", "anne@example.org")
			tt.prepare(f, a)
			err := f.store.Submit(ctx, a, f.hosts)
			wantCode(t, err, tt.code, tt.key)
		})
	}

	t.Run("a verified, complete request is sent to its host", func(t *testing.T) {
		f := newStoreFixture(t)
		a := f.submitted("", "anne@example.org")
		got, err := f.store.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != onboarding.StatusSubmitted || got.SubmittedAt.IsZero() || got.HostID != "h-ile" || a.HostID != "h-ile" {
			t.Errorf("after submit: status %s, submitted %v, host %q", got.Status, got.SubmittedAt, got.HostID)
		}
		if got.Answers.Consent.DataProcessing != "yes" {
			t.Errorf("consent not stored: %+v", got.Answers.Consent)
		}
	})
	t.Run("a request left to the archipelago has no host yet", func(t *testing.T) {
		f := newStoreFixture(t)
		a, _ := f.create("", "anne@example.org")
		f.complete(a)
		a.Answers.Host.Choice = onboarding.HostChoiceAuto
		_ = f.store.Verify(ctx, a)
		if err := f.store.Submit(ctx, a, f.hosts); err != nil {
			t.Fatal(err)
		}
		got, _ := f.store.Get(ctx, a.ID)
		if got.Status != onboarding.StatusSubmitted || got.HostID != "" {
			t.Errorf("status %s, host %q", got.Status, got.HostID)
		}
	})
}

func TestStoreWithdraw(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		create func(f *storeFixture) *onboarding.Application
	}{
		{"a draft can be withdrawn", func(f *storeFixture) *onboarding.Application {
			a, _ := f.create("", "anne@example.org")
			return a
		}},
		{"a submitted request can be withdrawn", func(f *storeFixture) *onboarding.Application {
			return f.submitted("", "anne@example.org")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newStoreFixture(t)
			a := tt.create(f)
			if err := f.store.Withdraw(ctx, a); err != nil {
				t.Fatal(err)
			}
			got, _ := f.store.Get(ctx, a.ID)
			if got.Status != onboarding.StatusWithdrawn || a.Status != onboarding.StatusWithdrawn {
				t.Errorf("status stored %s, in memory %s", got.Status, a.Status)
			}
			if kinds := f.eventKinds(a.ID, true); kinds[len(kinds)-1] != "withdrawn" {
				t.Errorf("events = %q", kinds)
			}
			wantCode(t, f.store.Withdraw(ctx, a), apperr.Conflict, "err.request.not_withdrawable")
			wantCode(t, f.store.Withdraw(ctx, got), apperr.Conflict, "err.request.not_withdrawable")
		})
	}
	t.Run("a withdrawal from a stale copy is a conflict", func(t *testing.T) {
		f := newStoreFixture(t)
		a, token := f.create("", "anne@example.org")
		stale, _ := f.store.ByToken(ctx, token)
		if err := f.store.Withdraw(ctx, a); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.store.Withdraw(ctx, stale), apperr.Conflict, "err.request.changed")
	})
	t.Run("an approved request cannot be withdrawn here", func(t *testing.T) {
		f := newStoreFixture(t)
		a := f.submitted("", "anne@example.org")
		a.Status = onboarding.StatusApproved
		wantCode(t, f.store.Withdraw(ctx, a), apperr.Conflict, "err.request.not_withdrawable")
	})
}

func TestStoreFindDuplicate(t *testing.T) {
	ctx := context.Background()
	f := newStoreFixture(t)
	draft, _ := f.create("W691234567", "anne@example.org")
	sent := f.submitted("732829320", "Bob@Example.org")
	withdrawn, _ := f.create("W751515517", "carla@example.org")
	if err := f.store.Withdraw(ctx, withdrawn); err != nil {
		t.Fatal(err)
	}
	declined, _ := f.create("W931012663", "dan@example.org")
	if _, err := f.db.ExecContext(ctx, `UPDATE applications SET status = 'declined' WHERE id = $1`, declined.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name           string
		legalID, email string
		except         string
		want           string // id, or "" for not found
	}{
		{"the same legal id finds a draft", "W691234567", "other@example.org", "", draft.ID},
		{"the same address finds a draft", "", "anne@example.org", "", draft.ID},
		{"the address matches whatever its case", "", "ANNE@EXAMPLE.ORG", "", draft.ID},
		{"a stored mixed-case address is found in lower case", "", "bob@example.org", "", sent.ID},
		{"a submitted request is found by legal id", "732829320", "", "", sent.ID},
		{"the request itself is not its own duplicate", "W691234567", "anne@example.org", draft.ID, ""},
		{"a withdrawn request is ignored", "W751515517", "carla@example.org", "", ""},
		{"a declined request is ignored", "W931012663", "dan@example.org", "", ""},
		{"nothing matches a new association", "W123456789", "new@example.org", "", ""},
		{"no legal id does not match requests without one", "", "new@example.org", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.FindDuplicate(ctx, tt.legalID, tt.email, tt.except)
			if tt.want == "" {
				if !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("FindDuplicate = %v, %v; want not found", got, err)
				}
				return
			}
			if err != nil || got.ID != tt.want {
				t.Errorf("FindDuplicate = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestStoreEvents(t *testing.T) {
	ctx := context.Background()
	f := newStoreFixture(t)
	a, _ := f.create("", "anne@example.org")
	if err := f.store.AddEvent(ctx, a.ID, "link_sent", "", "", false); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Verify(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := f.store.AddEvent(ctx, a.ID, "note", "staff", "called back", false); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Withdraw(ctx, a); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		publicOnly bool
		want       []string
	}{
		{"staff see every event, oldest first", false, []string{"created", "link_sent", "email_verified", "note", "withdrawn"}},
		{"the association sees only public events", true, []string{"created", "email_verified", "withdrawn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.eventKinds(a.ID, tt.publicOnly); !slices.Equal(got, tt.want) {
				t.Errorf("events = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("events keep their actor, detail and time", func(t *testing.T) {
		events, _ := f.store.Events(ctx, a.ID, false)
		note := events[3]
		if note.Actor != "staff" || note.Detail != "called back" || note.Public || note.CreatedAt.IsZero() {
			t.Errorf("note = %+v", note)
		}
		for i := 1; i < len(events); i++ {
			if events[i].CreatedAt.Before(events[i-1].CreatedAt) {
				t.Errorf("event %d is older than the one before", i)
			}
		}
	})
	t.Run("a request without events has an empty timeline", func(t *testing.T) {
		if got := f.eventKinds("00000000-0000-0000-0000-000000000000", false); len(got) != 0 {
			t.Errorf("events = %q", got)
		}
	})
}

func TestStoreOpenHosts(t *testing.T) {
	f := newStoreFixture(t)
	var slugs []string
	for _, h := range f.hosts {
		slugs = append(slugs, h.Slug)
		if h.Paused {
			t.Errorf("%s is paused", h.Slug)
		}
	}
	slices.Sort(slugs)
	if !slices.Equal(slugs, []string{"ile-numerique", "recif-solidaire"}) {
		t.Errorf("open hosts = %q", slugs)
	}
	t.Run("lists are split into their values", func(t *testing.T) {
		h := f.hosts[slices.IndexFunc(f.hosts, func(h onboarding.Host) bool { return h.Slug == "ile-numerique" })]
		if !slices.Equal(h.Departements, []string{"69", "01"}) || !slices.Equal(h.Services, []string{"files", "calendars"}) ||
			h.Name != "L'Île numérique" || h.Region != "Auvergne-Rhône-Alpes" {
			t.Errorf("host = %+v", h)
		}
	})
	t.Run("a host paused since leaves the list", func(t *testing.T) {
		if _, err := f.db.ExecContext(context.Background(), `UPDATE hosts SET paused = TRUE WHERE slug = 'recif-solidaire'`); err != nil {
			t.Fatal(err)
		}
		hosts, err := f.store.OpenHosts(context.Background())
		if err != nil || len(hosts) != 1 || hosts[0].Slug != "ile-numerique" {
			t.Errorf("open hosts = %+v, %v", hosts, err)
		}
	})
}

func TestOnlyAMailLinkToTheCurrentAddressConfirms(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	s := onboarding.NewStore(db, nil)
	a, browserToken, err := s.Create(ctx, "fr", onboarding.AssociationStep{Name: "Asso", ContactEmail: "old@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	mailToken, err := s.MailLink(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
		confirms    bool
	}{
		{"the browser's token does not confirm", browserToken, false},
		{"the e-mailed link confirms", mailToken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, confirms, err := s.Open(ctx, tt.token)
			if err != nil || confirms != tt.confirms {
				t.Fatalf("confirms = %v (%v), want %v", confirms, err, tt.confirms)
			}
		})
	}
	t.Run("a link mailed to a former address no longer confirms", func(t *testing.T) {
		a.Answers.Association.ContactEmail = "new@example.org"
		if err := s.Save(ctx, a, onboarding.StepAssociation); err != nil {
			t.Fatal(err)
		}
		if _, confirms, err := s.Open(ctx, mailToken); err != nil || confirms {
			t.Fatalf("confirms = %v (%v), want false", confirms, err)
		}
	})
}
