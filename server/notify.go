package server

import (
	"context"
	"database/sql"
	"net/url"

	"archipel/accounts"
	"archipel/database"
	"archipel/mail"
	"archipel/onboarding"
)

// The e-mails a change causes are queued in its own transaction: handlers
// hand the domain's workflow these database.Then, which it runs before
// committing.

// associationLetter is an e-mail to the association about its request, in
// its own language.
func (h *Handler) associationLetter(app *onboarding.Application, template string, data map[string]any) mail.Letter {
	if data == nil {
		data = map[string]any{}
	}
	data["Name"] = app.Answers.Association.Name
	if _, ok := data["Link"]; !ok {
		// queueLetters makes the private link in the e-mail's transaction.
		data["Link"] = pendingLink
	}
	return mail.Letter{Lang: app.Language, Template: template, To: app.Answers.Association.ContactEmail,
		ToName: app.Answers.Members.ContactName, Data: data, RequestID: app.ID}
}

// pendingLink stands for the private link an association's letter gets
// once in its transaction.
const pendingLink = "\x00private-link"

// queueLetters queues letters in the change's transaction.
func (h *Handler) queueLetters(ctx context.Context, letters ...func() mail.Letter) database.Then {
	return func(tx *sql.Tx) error {
		for _, mk := range letters {
			l := mk()
			if data, ok := l.Data.(map[string]any); ok && data["Link"] == pendingLink {
				// A fresh private link (a hashed token, like the first one),
				// so that the e-mail opens the request on any device, not
				// only in the browser that filled the form.
				token, err := h.Onboarding.MailLinkIn(ctx, tx, l.RequestID, l.To)
				if err != nil {
					return err
				}
				data["Link"] = h.opts.BaseURL + "/reprendre/" + token
			}
			if err := h.Postman.Enqueue(ctx, tx, l); err != nil {
				return err
			}
		}
		return nil
	}
}

// requestNotice is the notice to staff of an event on a request, read once
// the change has set the request's host; withContact adds the host's
// contact address.
func (h *Handler) requestNotice(ctx context.Context, tx *sql.Tx, app *onboarding.Application, kind accounts.Kind, withContact bool) (accounts.Notice, error) {
	n := accounts.Notice{Kind: kind, HostID: app.HostID, RequestID: app.ID, Name: app.Answers.Association.Name,
		Link: h.opts.BaseURL + "/staff/requests/" + url.PathEscape(app.ID)}
	if withContact && app.HostID != "" {
		name, email, lang, err := onboarding.HostContact(ctx, tx, app.HostID)
		if err != nil {
			return n, err
		}
		n.Contact, n.ContactName, n.ContactLanguage = email, name, lang
	}
	return n, nil
}

// tellStaff notifies staff of an event on a request in the change's
// transaction; edit may adjust the notice (its template and data).
func (h *Handler) tellStaff(ctx context.Context, app *onboarding.Application, kind accounts.Kind, withContact bool, edit func(*accounts.Notice)) database.Then {
	return func(tx *sql.Tx) error {
		n, err := h.requestNotice(ctx, tx, app, kind, withContact)
		if err != nil {
			return err
		}
		if edit != nil {
			edit(&n)
		}
		return h.Notifier.Notify(ctx, tx, n)
	}
}
