-- +goose Up
-- How each staff account hears of each kind of event: at once ('now', the
-- default when no row says otherwise), in its daily digest, or not at all.
CREATE TABLE staff_notify_prefs (
    user_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    delivery TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Events waiting for a staff member's next daily digest, written in the
-- transaction of the change like the outbox's e-mails; linked to their
-- request so that erasing the request erases them.
CREATE TABLE staff_digest_items (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    application_id TEXT REFERENCES applications(id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_digest_items_user ON staff_digest_items (user_id, created_at);

-- The language of the e-mails to a host's contact address.
ALTER TABLE hosts ADD COLUMN contact_language TEXT NOT NULL DEFAULT 'fr';

-- +goose Down
ALTER TABLE hosts DROP COLUMN contact_language;
DROP TABLE staff_digest_items;
DROP TABLE staff_notify_prefs;
