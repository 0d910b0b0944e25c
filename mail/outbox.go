package mail

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Outbox is a Sender that stores each message as an .eml file instead of sending it.
type Outbox struct {
	dir    string
	from   *netmail.Address
	logger *slog.Logger
	now    func() time.Time
}

// NewOutbox returns an Outbox writing into dir, created 0700 if missing; a nil logger means slog.Default().
func NewOutbox(dir, from string, logger *slog.Logger) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("mail: outbox directory is not configured")
	}
	addr, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: create outbox %s: %w", dir, err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Outbox{dir: dir, from: addr, logger: logger, now: time.Now}, nil
}

// Send writes m as a new .eml file; see Sender for the errors it returns.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	now := o.now()
	msg, err := build(m, o.from, now)
	if err != nil {
		return err
	}

	path := filepath.Join(o.dir, fileName(now))
	// Written under a dot name then renamed, so List never sees half a message.
	tmp, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return unavailable("mail: outbox "+o.dir, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	w := bufio.NewWriter(tmp)
	_, err = msg.WriteTo(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return unavailable("mail: outbox "+o.dir, fmt.Errorf("write %s: %w", filepath.Base(path), err))
	}

	// The path is the only way to find the message, so it is logged; the body
	// is not, as it holds private links.
	o.logger.Info("mail written to outbox",
		slog.String("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("path", path))
	return nil
}

// Dir is the directory the messages are written to.
func (o *Outbox) Dir() string { return o.dir }

// List returns the paths of the stored messages, oldest first.
func (o *Outbox) List() ([]string, error) {
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, fmt.Errorf("mail: list outbox: %w", err)
	}
	var paths []string
	for _, e := range entries { // ReadDir sorts by name, and names sort by time
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, ".eml") && !strings.HasPrefix(name, ".") {
			paths = append(paths, filepath.Join(o.dir, name))
		}
	}
	return paths, nil
}

// fileName returns "20261121T101500Z-<uuid>.eml" where the UUID has the
// layout of a version 7 UUID: its milliseconds keep names sorted within the
// same second, its 74 random bits keep them unique.
func fileName(t time.Time) string {
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails since Go 1.24
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(id[:6], ms[2:])
	id[6] = id[6]&0x0f | 0x70 // version 7
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(id[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s-%s.eml",
		t.UTC().Format("20060102T150405Z"), h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
