package server

import (
	"context"
	"log/slog"

	"archipel/mail"
	"archipel/onboarding"
)

// mailAssociation e-mails the association about its request, in its own
// language; failures are logged: the decision is taken already.
func (h *Handler) mailAssociation(ctx context.Context, app *onboarding.Application, template string, data map[string]any, att ...mail.Attachment) {
	if data == nil {
		data = map[string]any{}
	}
	data["Name"] = app.Answers.Association.Name
	if _, ok := data["Link"]; !ok {
		data["Link"] = h.privateLink(ctx, app)
	}
	err := h.Postman.Send(ctx, mail.Letter{
		Lang: app.Language, Template: template, To: app.Answers.Association.ContactEmail,
		ToName: app.Answers.Members.ContactName, Data: data, Attachments: att, RequestID: app.ID,
	})
	if err != nil {
		h.Logger.Error("send e-mail", slog.String("template", template), slog.String("request", app.ID), slog.Any("err", err))
	}
}

// privateLink is the link an e-mail to the association carries: a fresh
// private link to its current address (a hashed token, like the first
// one), so that the e-mail opens the request on any device, not only in the
// browser that filled the form. Should the token not be stored, the e-mail
// still goes, with the status page's address (which offers to send a link).
// Inside a transaction, queueLetters makes the link in it instead.
func (h *Handler) privateLink(ctx context.Context, app *onboarding.Application) string {
	token, err := h.Onboarding.MailLink(ctx, app)
	if err != nil {
		h.Logger.Error("create private link", slog.String("request", app.ID), slog.Any("err", err))
		return h.opts.BaseURL + "/suivi"
	}
	return h.opts.BaseURL + "/reprendre/" + token
}
