package templates_test

import (
	"time"

	"archipel/mail"
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
	return []renderCase{
		{"the failing e-mails", "admin_mail", admin(&server.AdminMailPage{Failing: failing, Pending: 2, FailingAfter: mail.FailingAfter})},
		{"no failing e-mail, one retried", "admin_mail", retried},
	}
}
