package mail

import (
	"context"
	"fmt"
)

// Renderer turns a named mail template into a subject and bodies in a
// language (implemented by templates.Set).
type Renderer interface {
	Mail(lang, name string, data any) (subject, text, html string, err error)
}

// Postman composes messages from the mail templates and hands them to a
// Sender; domain packages only name the template and give its data.
type Postman struct {
	Renderer Renderer
	Sender   Sender
}

// Letter is what a domain package asks the Postman to send.
type Letter struct {
	Lang        string
	Template    string
	To          string
	ToName      string
	Data        any
	Attachments []Attachment
}

// Send renders and sends a letter; errors are those of Renderer and Sender.
func (p *Postman) Send(ctx context.Context, l Letter) error {
	subject, text, html, err := p.Renderer.Mail(l.Lang, l.Template, l.Data)
	if err != nil {
		return fmt.Errorf("mail: compose %s: %w", l.Template, err)
	}
	return p.Sender.Send(ctx, Message{
		To: l.To, ToName: l.ToName, Subject: subject, Text: text, HTML: html,
		Attachments: l.Attachments, Tag: l.Template,
	})
}
