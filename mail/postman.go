package mail

import (
	"context"
	"database/sql"
	"fmt"
)

// Renderer turns a named mail template into a subject and bodies in a
// language (implemented by templates.Set).
type Renderer interface {
	Mail(lang, name string, data any) (subject, text, html string, err error)
}

// Postman composes messages from the mail templates and puts them in the
// outbox; domain packages only name the template and give its data.
type Postman struct {
	Renderer Renderer
	Queue    *Queue
}

// Letter is what a domain package asks the Postman to send.
type Letter struct {
	Lang        string
	Template    string
	To          string
	ToName      string
	Data        any
	Attachments []Attachment
	RequestID   string // the request the letter is about, if any (see Message.RequestID)
	// ForgetOnceSent: see Message.ForgetOnceSent.
	ForgetOnceSent bool
}

// Compose renders a letter into a message; errors are those of Renderer.
func (p *Postman) Compose(l Letter) (Message, error) {
	subject, text, html, err := p.Renderer.Mail(l.Lang, l.Template, l.Data)
	if err != nil {
		return Message{}, fmt.Errorf("mail: compose %s: %w", l.Template, err)
	}
	return Message{
		To: l.To, ToName: l.ToName, Subject: subject, Text: text, HTML: html,
		Attachments: l.Attachments, Tag: l.Template, RequestID: l.RequestID, ForgetOnceSent: l.ForgetOnceSent,
	}, nil
}

// Enqueue renders a letter and stores it in the outbox inside tx, the
// transaction of the change that causes it; see Enqueue for the errors.
func (p *Postman) Enqueue(ctx context.Context, tx *sql.Tx, l Letter) error {
	m, err := p.Compose(l)
	if err != nil {
		return err
	}
	return Enqueue(ctx, tx, m)
}

// Send renders a letter and stores it in the outbox in a transaction of
// its own; the queue sends it shortly. Prefer Enqueue inside the
// transaction of the change that causes the letter.
func (p *Postman) Send(ctx context.Context, l Letter) error {
	m, err := p.Compose(l)
	if err != nil {
		return err
	}
	return p.Queue.Post(ctx, m)
}

// Wake makes the queue look for messages now, e.g. after a transaction
// that enqueued some has committed.
func (p *Postman) Wake() {
	if p != nil && p.Queue != nil {
		p.Queue.Wake()
	}
}
