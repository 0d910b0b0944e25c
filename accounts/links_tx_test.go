package accounts_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/database/dbtest"
	"archipel/mail"
)

// TestLinksCommitWithTheirEmail checks that an invitation or a reset link,
// its e-mail and what else the workflow writes (the account, the audit
// line) commit in one transaction: nothing is kept when a later write
// fails, exactly one e-mail carrying a working link when it commits.
func TestLinksCommitWithTheirEmail(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	s := accounts.NewStore(db, nil)
	sendAs := func(tag string) accounts.LinkMail {
		return func(tx *sql.Tx, u *accounts.User, token string) error {
			return mail.Enqueue(ctx, tx, mail.Message{To: u.Email, Subject: "Lien", Text: "/lien/" + token, Tag: tag})
		}
	}
	send, sendReset := sendAs("staff_invite"), sendAs("staff_reset")
	failing := errors.New("the audit line could not be written")
	count := func(query string, args ...any) (n int) {
		t.Helper()
		if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	mails := func(to string) int { return count(`SELECT COUNT(*) FROM mail_outbox WHERE to_addr = $1`, to) }
	token := func(to, tag string) string {
		t.Helper()
		var text string
		if err := db.QueryRowContext(ctx, `SELECT text_body FROM mail_outbox WHERE to_addr = $1 AND tag = $2`, to, tag).Scan(&text); err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(text, "/lien/")
	}
	n := accounts.NewUser{Email: "dominique@recif.example", Name: "Dominique", Role: accounts.RoleAdmin}

	t.Run("an invitation whose audit line fails keeps no account, no link, no e-mail", func(t *testing.T) {
		_, err := s.Invite(ctx, n, send, func(*accounts.User) database.Then {
			return func(*sql.Tx) error { return failing }
		})
		if !errors.Is(err, failing) {
			t.Fatalf("err = %v", err)
		}
		if c := count(`SELECT COUNT(*) FROM staff_users WHERE email = $1`, n.Email); c != 0 {
			t.Errorf("%d accounts kept", c)
		}
		if c := count(`SELECT COUNT(*) FROM staff_tokens`); c != 0 {
			t.Errorf("%d links kept", c)
		}
		if c := mails(n.Email); c != 0 {
			t.Errorf("%d e-mails queued", c)
		}
	})
	var u *accounts.User
	t.Run("an invitation that commits queues one e-mail whose link opens the account", func(t *testing.T) {
		var err error
		u, err = s.Invite(ctx, n, send, func(u *accounts.User) database.Then {
			return s.RecordIn(ctx, nil, "user_invited", "", "", u.Email)
		})
		if err != nil {
			t.Fatal(err)
		}
		if c := mails(n.Email); c != 1 {
			t.Fatalf("%d e-mails queued", c)
		}
		got, err := s.LinkUser(ctx, token(n.Email, "staff_invite"), accounts.PurposeInvite)
		if err != nil || got.ID != u.ID {
			t.Fatalf("the e-mailed link opens %v, %v", got, err)
		}
	})
	t.Run("an address taken is a conflict and queues nothing", func(t *testing.T) {
		_, err := s.Invite(ctx, n, send)
		if !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("err = %v", err)
		}
		if c := mails(n.Email); c != 1 {
			t.Errorf("%d e-mails queued in all", c)
		}
	})
	t.Run("a reset whose audit line fails keeps no link and no e-mail", func(t *testing.T) {
		err := s.SendLink(ctx, u, accounts.PurposeReset, sendReset, func(*sql.Tx) error { return failing })
		if !errors.Is(err, failing) {
			t.Fatalf("err = %v", err)
		}
		if c := count(`SELECT COUNT(*) FROM staff_tokens WHERE purpose = $1`, accounts.PurposeReset); c != 0 {
			t.Errorf("%d reset links kept", c)
		}
		if c := mails(n.Email); c != 1 {
			t.Errorf("%d e-mails queued in all", c)
		}
	})
	t.Run("a reset that commits queues one e-mail whose link works", func(t *testing.T) {
		if err := s.SendLink(ctx, u, accounts.PurposeReset, sendReset); err != nil {
			t.Fatal(err)
		}
		if c := mails(n.Email); c != 2 {
			t.Fatalf("%d e-mails queued in all", c)
		}
		if _, err := s.LinkUser(ctx, token(n.Email, "staff_reset"), accounts.PurposeReset); err != nil {
			t.Fatalf("the e-mailed link: %v", err)
		}
	})
}
