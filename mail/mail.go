// Package mail sends Archipel's outgoing e-mail: invitations, reminders and
// links sent to associations and hosts, either through an SMTP server or into
// an outbox directory of .eml files when no server is configured.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	netmail "net/mail"
	"strings"
	"time"
	"unicode"

	"archipel/apperr"

	gomail "github.com/wneessen/go-mail"
)

// TagHeader is the header carrying Message.Tag, so a stored or received message can be traced to what sent it.
const TagHeader = "X-Archipel-Tag"

// CalendarContentType is the content type of an .ics invitation attachment.
const CalendarContentType = "text/calendar; method=REQUEST; charset=utf-8"

// Message is one e-mail to one recipient.
type Message struct {
	To          string       // bare address, e.g. "tresorier@asso.example"
	ToName      string       // display name, may contain accents
	Subject     string       // required
	Text        string       // plain-text body, required
	HTML        string       // optional HTML alternative of Text
	Attachments []Attachment // e.g. an .ics invitation
	Tag         string       // short kind of message, e.g. "interview-invitation"; sent as TagHeader
	// ID makes the Message-ID "<ID@sender's domain>", the same on every
	// attempt, so a message sent twice is recognisable; random when empty.
	ID string
	// RequestID is the request the message is about, if any: the queued
	// copy goes when the request is erased.
	RequestID string
	// ForgetOnceSent empties the queued copy's address, name and subject
	// with its bodies once it is sent: for a message to someone whose data
	// was just erased (the notice of the erasure).
	ForgetOnceSent bool
}

// Attachment is a file sent along with a Message.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Sender delivers messages.
type Sender interface {
	// Send delivers m. Its errors have code apperr.Invalid when m fails
	// Validate (sending again will not help), apperr.Unavailable when the
	// message could not be handed over (server unreachable or refusing,
	// outbox not writable), or wrap the context's error when ctx is done.
	Send(ctx context.Context, m Message) error
}

// New returns an SMTP sender when smtpURL is set, otherwise an Outbox writing into outboxDir.
func New(smtpURL, from, outboxDir string) (Sender, error) {
	if strings.TrimSpace(smtpURL) != "" {
		s, err := NewSMTP(smtpURL, from)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if outboxDir == "" {
		return nil, errors.New("mail: neither an SMTP URL nor an outbox directory is configured")
	}
	o, err := NewOutbox(outboxDir, from, slog.Default())
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Validate returns an apperr.Invalid error giving the first reason m cannot be sent.
func (m Message) Validate() error {
	addr, err := netmail.ParseAddress(m.To)
	switch {
	case m.To == "":
		return invalid("recipient is missing")
	case err != nil || addr.Address != m.To:
		// A display name inside To would bypass ToName and its encoding.
		return invalid("recipient %q is not a bare e-mail address", m.To)
	case hasControl(m.ToName):
		return invalid("recipient name contains control characters")
	case strings.TrimSpace(m.Subject) == "":
		return invalid("subject is missing")
	case hasControl(m.Subject):
		return invalid("subject contains control characters")
	case strings.TrimSpace(m.Text) == "":
		return invalid("plain-text body is missing")
	case m.ID != "" && !validTag(m.ID):
		return invalid("message id %q must be at most 64 letters, digits or any of . - _ /", m.ID)
	case !validTag(m.Tag):
		return invalid("tag %q must be at most 64 letters, digits or any of . - _ /", m.Tag)
	}
	for i, a := range m.Attachments {
		if err := a.validate(); err != nil {
			return invalid("attachment %d: %w", i+1, err)
		}
	}
	return nil
}

func (a Attachment) validate() error {
	if a.Filename == "" || hasControl(a.Filename) || strings.ContainsAny(a.Filename, `/\`) {
		return fmt.Errorf("file name %q is not a plain file name", a.Filename)
	}
	if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
		return fmt.Errorf("content type %q: %w", a.ContentType, err)
	}
	if len(a.Data) == 0 {
		return fmt.Errorf("%q is empty", a.Filename)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return apperr.Wrap(apperr.Invalid, "error.invalid", "mail", fmt.Errorf(format, args...))
}

// unavailable marks a failure to hand a message over; op says where to.
func unavailable(op string, err error) error {
	return apperr.Wrap(apperr.Unavailable, "error.unavailable", op, err)
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func validTag(tag string) bool {
	if len(tag) > 64 {
		return false
	}
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_/", r)) {
			return false
		}
	}
	return true
}

// parseFrom checks the configured sender, e.g. "Archipel <noreply@example.org>".
func parseFrom(from string) (*netmail.Address, error) {
	if strings.TrimSpace(from) == "" {
		return nil, errors.New("mail: sender address is not configured")
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender address %q is invalid (want e.g. \"Archipel <noreply@example.org>\"): %w", from, err)
	}
	return addr, nil
}

// build turns m into a go-mail message; the Outbox and SMTP share it so a
// stored .eml is byte for byte what the server would have received.
func build(m Message, from *netmail.Address, now time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg(
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent(),
	)
	msg.FromMailAddress(from)
	msg.ToMailAddress(&netmail.Address{Name: m.ToName, Address: m.To})
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	// go-mail would use the host name, which in a container is a random ID.
	id := m.ID
	if id == "" {
		id = randomHex(16)
	}
	msg.SetMessageIDWithValue(id + "@" + domainOf(from.Address))
	if m.Tag != "" {
		msg.SetGenHeader(TagHeader, m.Tag)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		err := msg.AttachReader(a.Filename, bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
		if err != nil {
			return nil, fmt.Errorf("mail: attach %q: %w", a.Filename, err)
		}
	}
	return msg, nil
}

func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
