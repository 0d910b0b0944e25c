-- +goose Up
-- A host's ChatonsInfos organization file: where it is, what its last good
-- reading said (kept when a later read fails, the failure beside it), and
-- whether its Nextcloud service declared itself FULL. paused_by_file says
-- that the host's pause came from the file, so that the file going back to
-- OPEN lifts that pause and never one an administrator chose.
CREATE TABLE host_chatonsinfos (
    host_id TEXT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    org_name TEXT NOT NULL DEFAULT '',
    org_description TEXT NOT NULL DEFAULT '',
    org_website TEXT NOT NULL DEFAULT '',
    org_email TEXT NOT NULL DEFAULT '',
    org_place TEXT NOT NULL DEFAULT '',
    services TEXT NOT NULL DEFAULT '[]',
    read_at TIMESTAMPTZ,
    tried_at TIMESTAMPTZ,
    error_key TEXT NOT NULL DEFAULT '',
    error_detail TEXT NOT NULL DEFAULT '',
    full_service TEXT NOT NULL DEFAULT '',
    full_since TIMESTAMPTZ,
    paused_by_file BOOLEAN NOT NULL DEFAULT FALSE
);

-- +goose Down
DROP TABLE host_chatonsinfos;
