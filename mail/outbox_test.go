package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"archipel/apperr"
)

// newTestOutbox returns an Outbox in a not yet existing directory and the buffer it logs into.
func newTestOutbox(t *testing.T) (*Outbox, *syncBuffer) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "outbox")
	logs := &syncBuffer{}
	o, err := NewOutbox(dir, testFrom, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("NewOutbox: %v", err)
	}
	t.Cleanup(func() {
		// No temporary file may outlive a Send.
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left behind in the outbox: %s", e.Name())
			}
		}
	})
	return o, logs
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var fileNamePattern = regexp.MustCompile(`^\d{8}T\d{6}Z-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.eml$`)

func TestOutboxWritesAParseableMessage(t *testing.T) {
	o, logs := newTestOutbox(t)
	o.now = func() time.Time { return time.Date(2026, 11, 21, 11, 15, 0, 0, time.FixedZone("CET", 3600)) }
	sent := invitation()

	if err := o.Send(context.Background(), sent); err != nil {
		t.Fatalf("Send: %v", err)
	}

	paths, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		t.Fatalf("List() = %v, want one message", paths)
	}
	name := filepath.Base(paths[0])
	if !fileNamePattern.MatchString(name) || !strings.HasPrefix(name, "20261121T101500Z-") {
		t.Errorf("file name %q does not look like 20261121T101500Z-<uuid>.eml", name)
	}
	assertMode(t, o.dir, 0o700)
	assertMode(t, paths[0], 0o600)

	raw, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range raw {
		if c >= 0x80 {
			t.Fatalf("byte %d of the file is not 7-bit: headers and bodies must be encoded", i)
		}
	}
	for _, want := range []string{"multipart/mixed", "multipart/alternative", "Content-Transfer-Encoding: quoted-printable", "Content-Transfer-Encoding: base64"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("file lacks %q", want)
		}
	}

	got, err := ReadMessage(paths[0])
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	assertSameMessage(t, got, sent)
	if !got.Date.Equal(o.now()) {
		t.Errorf("Date = %v, want %v", got.Date, o.now())
	}
	if !strings.HasSuffix(got.MessageID, "@archipel.example") {
		t.Errorf("MessageID = %q, want it in the sender's domain", got.MessageID)
	}

	logged := logs.String()
	for _, want := range []string{"to=" + sent.To, "Éclaireurs", name} {
		if !strings.Contains(logged, want) {
			t.Errorf("log %q lacks %q", logged, want)
		}
	}
	if strings.Contains(logged, "s3cr3t-t0ken") || strings.Contains(logged, "Bonjour") {
		t.Errorf("log %q leaks the body", logged)
	}
}

// assertSameMessage compares what was read back with what was sent.
func assertSameMessage(t *testing.T, got Parsed, sent Message) {
	t.Helper()
	checks := []struct{ field, got, want string }{
		{"From", got.From, "noreply@archipel.example"},
		{"To", got.To, sent.To},
		{"ToName", got.ToName, sent.ToName},
		{"Subject", got.Subject, sent.Subject},
		{"Tag", got.Tag, sent.Tag},
		{"Text", got.Text, sent.Text},
		{"HTML", got.HTML, sent.HTML},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if len(got.Attachments) != len(sent.Attachments) {
		t.Fatalf("got %d attachments, want %d", len(got.Attachments), len(sent.Attachments))
	}
	for i, a := range got.Attachments {
		want := sent.Attachments[i]
		if a.Filename != want.Filename || !bytes.Equal(a.Data, want.Data) {
			t.Errorf("attachment %d = %q (%d bytes), want %q (%d bytes)", i, a.Filename, len(a.Data), want.Filename, len(want.Data))
		}
		gotType, gotParams, err := mime.ParseMediaType(a.ContentType)
		wantType, wantParams, _ := mime.ParseMediaType(want.ContentType)
		if err != nil || gotType != wantType || fmt.Sprint(gotParams) != fmt.Sprint(wantParams) {
			t.Errorf("attachment %d content type = %q, want %q", i, a.ContentType, want.ContentType)
		}
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func TestOutboxFileNamesAreUniqueUnderConcurrency(t *testing.T) {
	o, _ := newTestOutbox(t)
	fixed := time.Now()
	o.now = func() time.Time { return fixed } // the worst case: all in the same millisecond
	const n = 64

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			m := invitation()
			m.Subject = fmt.Sprintf("Rappel n°%d", i)
			errs <- o.Send(context.Background(), m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
	}

	paths, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != n {
		t.Fatalf("List() has %d messages, want %d", len(paths), n)
	}
	if !slices.IsSorted(paths) {
		t.Error("List() is not sorted")
	}
	subjects := map[string]bool{}
	for _, p := range paths {
		m, err := ReadMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		subjects[m.Subject] = true
	}
	if len(subjects) != n {
		t.Errorf("read back %d distinct subjects, want %d", len(subjects), n)
	}
}

func TestOutboxListsMessagesInTheOrderTheyWereSent(t *testing.T) {
	o, _ := newTestOutbox(t)
	start := time.Date(2026, 11, 21, 10, 15, 0, 0, time.UTC)
	for i := range 5 {
		o.now = func() time.Time { return start.Add(time.Duration(i) * time.Millisecond) }
		m := invitation()
		m.Subject = fmt.Sprintf("message %d", i)
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	paths, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		m, err := ReadMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("message %d", i); m.Subject != want {
			t.Errorf("message %d in the list is %q, want %q", i, m.Subject, want)
		}
	}
}

func TestOutboxRefusesWhatItCannotSend(t *testing.T) {
	t.Run("an invalid message is refused and not written", func(t *testing.T) {
		o, _ := newTestOutbox(t)
		m := invitation()
		m.To = "not an address"
		if err := o.Send(context.Background(), m); !errors.Is(err, apperr.ErrInvalid) {
			t.Fatalf("Send() = %v, want apperr.ErrInvalid", err)
		}
		if paths, _ := o.List(); len(paths) != 0 {
			t.Errorf("List() = %v, want nothing", paths)
		}
	})
	t.Run("a cancelled context stops the send", func(t *testing.T) {
		o, _ := newTestOutbox(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := o.Send(ctx, invitation()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Send() = %v, want context.Canceled", err)
		}
	})
	t.Run("a vanished directory makes delivery unavailable", func(t *testing.T) {
		o, _ := newTestOutbox(t)
		if err := os.RemoveAll(o.dir); err != nil {
			t.Fatal(err)
		}
		err := o.Send(context.Background(), invitation())
		if !errors.Is(err, apperr.ErrUnavailable) {
			t.Fatalf("Send() = %v, want apperr.ErrUnavailable", err)
		}
	})
}

func TestNewOutboxCreatesItsDirectoryPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "outbox")
	if _, err := NewOutbox(dir, testFrom, nil); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
}
