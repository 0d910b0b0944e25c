package templates_test

import (
	"time"

	"archipel/accounts"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/server"
)

// notifyRenderCases are the pages of notifications, the outbox and the dashboard.
func notifyRenderCases() []renderCase {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	failing := []mail.Queued{
		{ID: "m1", RequestID: "a1", Tag: "link", To: "anne@example.org", Subject: "Votre lien privé", Status: mail.StatusPending,
			Attempts: 4, LastError: "dial tcp 127.0.0.1:25: connection refused", NextAttempt: at.Add(time.Hour), CreatedAt: at},
		{ID: "m2", Tag: "staff_invite", To: "camille@host.example", Subject: "Invitation", Status: mail.StatusFailed,
			Attempts: 24, LastError: "550 mailbox unavailable", NextAttempt: at, CreatedAt: at},
	}
	admin := func(data any) server.Page {
		return server.Page{Path: "/staff/admin/mail", Title: "admin.mail.title", User: renderAdmin, Data: data}
	}
	retried := admin(&server.AdminMailPage{Pending: 1, FailingAfter: mail.FailingAfter})
	retried.Flash = "admin.notice.mail_retried"
	prefs := func(p *server.NotificationsPage) server.Page {
		return server.Page{Path: "/staff/notifications", Title: "notify.prefs.title", User: renderStaff, Data: p}
	}
	saved := prefs(server.NewNotificationsPage("en", accounts.Preferences{accounts.KindCheckin: accounts.DeliverDigest, accounts.KindWithdrawn: accounts.DeliverOff}))
	saved.Flash = "notice.notify_saved"
	refused := prefs(server.NewNotificationsPage("de", nil))
	refused.Errors = onboarding.FieldErrors{{Field: "user_language", Key: "err.notify.language"}}
	return []renderCase{
		{"the notification preferences, by default", "staff_notifications", prefs(server.NewNotificationsPage("fr", nil))},
		{"the notification preferences just saved", "staff_notifications", saved},
		{"the notification preferences refused", "staff_notifications", refused},
		{"the failing e-mails", "admin_mail", admin(&server.AdminMailPage{Failing: failing, Pending: 2, FailingAfter: mail.FailingAfter})},
		{"no failing e-mail, one retried", "admin_mail", retried},
	}
}
