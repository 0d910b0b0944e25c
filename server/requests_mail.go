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
		data["Link"] = h.opts.BaseURL + "/suivi"
	}
	err := h.Postman.Send(ctx, mail.Letter{
		Lang: app.Language, Template: template, To: app.Answers.Association.ContactEmail,
		ToName: app.Answers.Members.ContactName, Data: data, Attachments: att,
	})
	if err != nil {
		h.Logger.Error("send e-mail", slog.String("template", template), slog.String("request", app.ID), slog.Any("err", err))
	}
}
