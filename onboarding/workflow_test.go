package onboarding_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"archipel/onboarding"
)

// Changing the contact address was three transactions (save, forget the
// confirmation, new link): a failure between them left a new address
// confirmed by an old link, or a saved address with no link sent. Now it
// all commits together, the e-mail with it, or none of it.
func TestChangingTheContactAddressIsOneWorkflow(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a, browser := f.create("", "anne@example.org")
	old, err := f.store.MailLink(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Verify(ctx, a); err != nil {
		t.Fatal(err)
	}
	changed := a.Answers.Association
	changed.ContactEmail = "tresorier@example.org"

	t.Run("when the e-mail cannot be written, nothing changes", func(t *testing.T) {
		failing := func(context.Context, *sql.Tx, *onboarding.Application, string) error {
			return errors.New("outbox full")
		}
		if _, err := f.store.SaveAssociation(ctx, a, changed, failing); err == nil {
			t.Fatal("the change went through without its e-mail")
		}
		got, _ := f.store.Get(ctx, a.ID)
		if got.Answers.Association.ContactEmail != "anne@example.org" || !got.Verified() || a.Answers.Association.ContactEmail != "anne@example.org" {
			t.Errorf("stored %q verified %t; in memory %q", got.Answers.Association.ContactEmail, got.Verified(), a.Answers.Association.ContactEmail)
		}
		for _, tok := range []string{browser, old} {
			if _, err := f.store.ByToken(ctx, tok); err != nil {
				t.Errorf("a link was revoked by a change that did not happen: %v", err)
			}
		}
	})
	t.Run("the change, the revocation, the new links and the e-mail go together", func(t *testing.T) {
		var sentTo, sentToken string
		mailer := func(_ context.Context, tx *sql.Tx, a *onboarding.Application, token string) error {
			if tx == nil {
				t.Error("the e-mail is not written in the workflow's transaction")
			}
			sentTo, sentToken = a.Answers.Association.ContactEmail, token
			return nil
		}
		cookie, err := f.store.SaveAssociation(ctx, a, changed, mailer)
		if err != nil {
			t.Fatal(err)
		}
		if sentTo != "tresorier@example.org" || cookie == "" || sentToken == "" {
			t.Fatalf("sent to %q, cookie %q", sentTo, cookie)
		}
		for _, tok := range []string{browser, old} {
			if _, err := f.store.ByToken(ctx, tok); err == nil {
				t.Error("an earlier link still opens the request")
			}
		}
		got, confirms, err := f.store.Open(ctx, sentToken)
		if err != nil || !confirms || got.Verified() {
			t.Errorf("the new link: confirms %t, already verified %t, %v", confirms, got.Verified(), err)
		}
		if _, confirms, _ := f.store.Open(ctx, cookie); confirms {
			t.Error("the browser's token confirms the address")
		}
		if kinds := f.eventKinds(a.ID, false); kinds[len(kinds)-1] != "link_sent" {
			t.Errorf("timeline %v", kinds)
		}
	})
}

// A transfer, its audit line and the association's e-mail commit together:
// when what goes with it fails, the request stays where it was.
func TestATransferCommitsWithWhatGoesWithIt(t *testing.T) {
	f := newStoreFixture(t)
	ctx := context.Background()
	a := f.submitted("", "anne@example.org")
	from, to := a.HostID, ""
	for _, h := range f.hosts {
		if h.ID != from {
			to = h.ID
		}
	}
	failing := func(*sql.Tx) error { return errors.New("outbox full") }
	if _, err := f.store.Transfer(ctx, a, &onboarding.HostChange{HostID: to, Reason: "Plus proche"}, as("staff@a.example"), failing); err == nil {
		t.Fatal("the transfer went through without its e-mail")
	}
	got, _ := f.store.Get(ctx, a.ID)
	if got.HostID != from {
		t.Fatalf("the request moved to %s without its audit line and e-mail", got.HostID)
	}
	for _, k := range f.eventKinds(a.ID, false) {
		if k == "transferred" {
			t.Error("the timeline tells a transfer that did not happen")
		}
	}
	ran := false
	fresh, _ := f.store.Get(ctx, a.ID)
	if _, err := f.store.Transfer(ctx, fresh, &onboarding.HostChange{HostID: to, Reason: "Plus proche"}, as("staff@a.example"), func(tx *sql.Tx) error {
		ran = tx != nil
		return nil
	}); err != nil || !ran {
		t.Fatalf("transfer: %v, ran in its transaction %t", err, ran)
	}
}
