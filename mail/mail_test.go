package mail

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"archipel/apperr"
)

const testFrom = "Archipel <noreply@archipel.example>"

// invitation is a complete message with accents, both bodies and an .ics file.
func invitation() Message {
	return Message{
		To:      "tresoriere@les-eclaireurs.example",
		ToName:  "Hélène Dupré",
		Subject: "Entretien d'accueil — Les Éclaireurs du Périgord, jeudi à 14 h",
		Text:    "Bonjour Hélène,\n\nVotre lien privé : https://archipel.example/i/s3cr3t-t0ken\n\nÀ bientôt !\n",
		HTML:    "<p>Bonjour Hélène,</p>\n<p><a href=\"https://archipel.example/i/s3cr3t-t0ken\">Votre lien privé</a></p>\n",
		Attachments: []Attachment{{
			Filename:    "entretien.ics",
			ContentType: CalendarContentType,
			Data:        []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Entretien d'accueil\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
		}},
		Tag: "interview-invitation",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *Message)
		want   string // part of the error, "" when valid
	}{
		{"a complete invitation is valid", func(m *Message) {}, ""},
		{"a message without HTML or attachment is valid", func(m *Message) { m.HTML, m.Attachments, m.Tag = "", nil, "" }, ""},
		{"a missing recipient is refused", func(m *Message) { m.To = "" }, "recipient is missing"},
		{"a recipient that is not an address is refused", func(m *Message) { m.To = "hélène at asso" }, "not a bare e-mail address"},
		{"a recipient with a display name is refused", func(m *Message) { m.To = "Hélène <h@asso.example>" }, "not a bare e-mail address"},
		{"a recipient name with a line break is refused", func(m *Message) { m.ToName = "Hélène\r\nBcc: x@evil.example" }, "recipient name"},
		{"a blank subject is refused", func(m *Message) { m.Subject = "  " }, "subject is missing"},
		{"a subject with a line break is refused", func(m *Message) { m.Subject = "Bonjour\nBcc: x@evil.example" }, "subject contains"},
		{"a missing plain-text body is refused", func(m *Message) { m.Text = "" }, "plain-text body"},
		{"a tag with spaces is refused", func(m *Message) { m.Tag = "interview invitation" }, "tag"},
		{"an attachment without a name is refused", func(m *Message) { m.Attachments[0].Filename = "" }, "attachment 1"},
		{"an attachment name with a path is refused", func(m *Message) { m.Attachments[0].Filename = "../x.ics" }, "plain file name"},
		{"an attachment with a malformed content type is refused", func(m *Message) { m.Attachments[0].ContentType = "text/" }, "content type"},
		{"an empty attachment is refused", func(m *Message) { m.Attachments[0].Data = nil }, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := invitation()
			tt.change(&m)
			err := m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want apperr.ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Run("without an SMTP URL messages go to the outbox", func(t *testing.T) {
		s, err := New("", testFrom, filepath.Join(t.TempDir(), "outbox"))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*Outbox); !ok {
			t.Fatalf("New() = %T, want *Outbox", s)
		}
	})
	t.Run("with an SMTP URL messages go to the server", func(t *testing.T) {
		s, err := New("smtps://archipel:secret@smtp.example.org", testFrom, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*SMTP); !ok {
			t.Fatalf("New() = %T, want *SMTP", s)
		}
	})
	t.Run("with neither an SMTP URL nor an outbox it fails", func(t *testing.T) {
		s, err := New("", testFrom, "")
		if err == nil || s != nil {
			t.Fatalf("New() = %v, %v; want nil and an error", s, err)
		}
	})
	t.Run("a malformed sender address fails", func(t *testing.T) {
		for _, from := range []string{"", "Archipel", "Archipel <noreply>"} {
			if _, err := New("", from, t.TempDir()); err == nil || !strings.Contains(err.Error(), "sender address") {
				t.Errorf("New(from=%q) error = %v, want one about the sender address", from, err)
			}
		}
	})
}
