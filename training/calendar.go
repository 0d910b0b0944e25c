package training

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/ical"
	"archipel/privlink"
)

// A trainer's calendar feed is a private URL carrying a token; like the
// other one-time links of staff accounts it is kept in staff_tokens, only
// as a hash, under its own purpose (so it opens nothing else), and stops
// working when a new one is made or the account is disabled.
const (
	feedPurpose  = "calendar_feed"
	feedLifetime = 10 * 365 * day
)

// NewFeedToken makes a new calendar feed token for actor (their own feed,
// nobody else's), revoking the previous one; the token is shown once. then
// (the audit line) commits in the same transaction: all of it or nothing.
// Not found for nobody.
func (s *Store) NewFeedToken(ctx context.Context, actor *accounts.User, then ...database.Then) (string, error) {
	if actor == nil || actor.ID == "" {
		return "", apperr.New(apperr.NotFound, "error.not_found", "training: new feed")
	}
	userID := actor.ID
	token, hash := privlink.New()
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_tokens WHERE user_id = $1 AND purpose = $2`, userID, feedPurpose); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			hash, userID, feedPurpose, now, now.Add(feedLifetime)); err != nil {
			return err
		}
		return database.RunThen(tx, then)
	})
	if err != nil {
		return "", database.MapError(err, "training: new feed")
	}
	return token, nil
}

// FeedCreated returns when a user's current feed was made; zero when the
// user has none.
func (s *Store) FeedCreated(ctx context.Context, userID string) (time.Time, error) {
	var at time.Time
	err := s.db.QueryRowContext(ctx, `SELECT created_at FROM staff_tokens WHERE user_id = $1 AND purpose = $2`, userID, feedPurpose).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return at, database.MapError(err, "training: feed")
}

// FeedUser returns the active account a feed token belongs to; NotFound
// for any token that opens nothing.
func (s *Store) FeedUser(ctx context.Context, token string) (string, error) {
	if !privlink.Plausible(token) {
		return "", apperr.New(apperr.NotFound, "error.not_found", "training: feed")
	}
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT t.user_id FROM staff_tokens t JOIN staff_users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.purpose = $2 AND t.expires_at > $3 AND u.active = TRUE`, privlink.Hash(token), feedPurpose, s.now()).Scan(&id)
	return id, database.MapError(err, "training: feed")
}

// Event is one event of a calendar feed.
type Event struct {
	UID         string
	Start, End  time.Time
	Stamp       time.Time // when the event last changed
	Summary     string
	Description string
	Location    string
	URL         string
}

// WriteCalendar writes an iCalendar feed (RFC 5545): CRLF line ends, lines
// folded at 75 octets without splitting a character, text values escaped,
// times in UTC.
func WriteCalendar(w io.Writer, name string, events []Event) error {
	var cal ical.Writer
	line := cal.Line
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Archipel//Accompaniment//FR")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", ical.Text(name))
	line("X-WR-TIMEZONE", "Europe/Paris")
	for _, e := range events {
		line("BEGIN", "VEVENT")
		line("UID", ical.Text(e.UID))
		line("DTSTAMP", ical.Time(e.Stamp))
		line("LAST-MODIFIED", ical.Time(e.Stamp))
		line("DTSTART", ical.Time(e.Start))
		line("DTEND", ical.Time(e.End))
		line("SUMMARY", ical.Text(e.Summary))
		if e.Description != "" {
			line("DESCRIPTION", ical.Text(e.Description))
		}
		if e.Location != "" {
			line("LOCATION", ical.Text(e.Location))
		}
		if e.URL != "" {
			line("URL;VALUE=URI", e.URL)
		}
		line("STATUS", "CONFIRMED")
		line("TRANSP", "OPAQUE")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	_, err := io.WriteString(w, cal.String())
	return err
}
