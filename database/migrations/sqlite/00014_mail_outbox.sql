-- +goose Up
-- The transactional outbox: every e-mail is a row written in the same
-- transaction as the change that causes it, then sent by one dispatcher.
-- A row is claimed (claimed_by, lease_until) one at a time before it is
-- sent; its message_id stays the same on every attempt, so a message sent
-- twice (a worker killed after the server accepted it) is recognisable.
-- The bodies are emptied once sent: they may hold private links.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    application_id TEXT REFERENCES applications(id) ON DELETE CASCADE,
    tag TEXT NOT NULL DEFAULT '',
    to_addr TEXT NOT NULL,
    to_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL DEFAULT '',
    html_body TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_application ON mail_outbox (application_id);

-- +goose Down
DROP TABLE mail_outbox;
