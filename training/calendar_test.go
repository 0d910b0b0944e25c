package training

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/privlink"
)

func TestWriteCalendar(t *testing.T) {
	start := time.Date(2026, 3, 14, 13, 30, 0, 0, time.UTC)
	events := []Event{
		{UID: "s1@archipel", Start: start, End: start.Add(90 * time.Minute), Stamp: start.Add(-time.Hour),
			Summary:     "Formation : Les Amis du Vélo, Lyon; séance n°1",
			Description: "Sur place – 90 min\nThèmes : Agendas, Partage de fichiers\\Documents",
			URL:         "https://archipel.example/staff/cases/c1"},
		{UID: "s2@archipel", Start: start.AddDate(0, 0, 7), End: start.AddDate(0, 0, 7).Add(time.Hour), Stamp: start,
			Summary: "Formation : Association des éleveurs d'escargots à coquille dorée de la vallée de l'Ardèche méridionale"},
	}
	var buf bytes.Buffer
	if err := WriteCalendar(&buf, "Archipel – séances", events); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	golden := filepath.Join("testdata", "sessions.ics")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the feed differs from %s:\n%s", golden, got)
	}
	t.Run("every line ends with CRLF and has at most 75 octets", func(t *testing.T) {
		if !strings.HasSuffix(got, "\r\n") || strings.Contains(strings.ReplaceAll(got, "\r\n", ""), "\n") {
			t.Fatal("a line does not end with CRLF")
		}
		for _, line := range strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n") {
			if len(line) > 75 || !utf8.ValidString(line) {
				t.Errorf("line of %d octets or cut inside a character: %q", len(line), line)
			}
		}
	})
	t.Run("unfolded, the text values are escaped", func(t *testing.T) {
		unfolded := strings.ReplaceAll(got, "\r\n ", "")
		for _, want := range []string{
			`SUMMARY:Formation : Les Amis du Vélo\, Lyon\; séance n°1`,
			`DESCRIPTION:Sur place – 90 min\nThèmes : Agendas\, Partage de fichiers\\Documents`,
			"DTSTART:20260314T133000Z", "DTEND:20260314T150000Z", "DTSTAMP:20260314T123000Z", "UID:s1@archipel",
			"SUMMARY:Formation : Association des éleveurs d'escargots à coquille dorée de la vallée de l'Ardèche méridionale",
		} {
			if !strings.Contains(unfolded, want+"\r\n") {
				t.Errorf("no line %q", want)
			}
		}
		if strings.Count(unfolded, "BEGIN:VEVENT\r\n") != 2 || !strings.HasPrefix(unfolded, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") {
			t.Error("not a calendar of two events")
		}
	})
}

func TestFeedTokens(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "")
	e.staff("cam", "h1", "trainer", "Camille")
	if at, err := e.store.FeedCreated(e.ctx, "cam"); err != nil || !at.IsZero() {
		t.Fatalf("a feed before any: %v, %v", at, err)
	}
	first, err := e.store.NewFeedToken(e.ctx, &accounts.User{ID: "cam", Role: accounts.RoleTrainer, HostID: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := e.store.FeedUser(e.ctx, first); err != nil || id != "cam" {
		t.Fatalf("FeedUser = %q, %v", id, err)
	}
	var stored string
	if err := e.db.QueryRowContext(e.ctx, `SELECT token_hash FROM staff_tokens WHERE user_id = 'cam'`).Scan(&stored); err != nil || stored != privlink.Hash(first) {
		t.Errorf("stored %q, %v", stored, err)
	}
	second, err := e.store.NewFeedToken(e.ctx, &accounts.User{ID: "cam", Role: accounts.RoleTrainer, HostID: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.FeedUser(e.ctx, first); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the replaced feed still opens: %v", err)
	}
	if at, _ := e.store.FeedCreated(e.ctx, "cam"); !at.Equal(e.clock.Now()) {
		t.Errorf("FeedCreated = %v", at)
	}
	e.exec(`UPDATE staff_users SET active = FALSE WHERE id = 'cam'`)
	if _, err := e.store.FeedUser(e.ctx, second); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a disabled account's feed still opens: %v", err)
	}
}
