package server

import (
	"context"
	"log/slog"
	"net/url"
	"strings"

	"archipel/accounts"
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

// mailHost e-mails the people of a request's host: its contact address,
// and its active staff in their own language.
func (h *Handler) mailHost(ctx context.Context, app *onboarding.Application, template string, data map[string]any) {
	if app.HostID == "" {
		return
	}
	data["Name"] = app.Answers.Association.Name
	data["RequestURL"] = h.opts.BaseURL + "/staff/requests/" + url.PathEscape(app.ID)
	type recipient struct{ email, name, lang string }
	var to []recipient
	if host, err := h.Hosts.Get(ctx, app.HostID); err == nil && host.ContactEmail != "" {
		to = append(to, recipient{host.ContactEmail, host.Name, "fr"})
	}
	staff, err := h.Accounts.List(ctx, &accounts.User{Role: accounts.RoleStaff, HostID: app.HostID})
	if err != nil {
		h.Logger.Error("list host staff", slog.String("request", app.ID), slog.Any("err", err))
	}
	for _, u := range staff {
		if u.Active && u.Role == accounts.RoleStaff {
			to = append(to, recipient{u.Email, u.Name, u.Language})
		}
	}
	seen := map[string]bool{}
	for _, r := range to {
		if seen[strings.ToLower(r.email)] {
			continue
		}
		seen[strings.ToLower(r.email)] = true
		err := h.Postman.Send(ctx, mail.Letter{Lang: r.lang, Template: template, To: r.email, ToName: r.name, Data: data})
		if err != nil {
			h.Logger.Error("send e-mail to host", slog.String("template", template), slog.String("request", app.ID), slog.Any("err", err))
		}
	}
}
