-- +goose Up
-- What a host's Nextcloud can offer an association (calendars, contacts,
-- Teams, task boards, video calls, forms, polls, online office), read from
-- its enabled apps at preflight, on the host page and by host check, and
-- kept with the host so that the approval form offers only what it has.
CREATE TABLE host_offers (
    host_id TEXT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
    apps TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    checked_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE host_offers;
