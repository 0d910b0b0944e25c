-- +goose Up
CREATE TABLE staff_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    host_id TEXT REFERENCES hosts(id),
    password_hash TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'fr',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

-- Invitations and password resets: one-time links, stored as hashes.
CREATE TABLE staff_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    actor_email TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    host_id TEXT NOT NULL DEFAULT '',
    application_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_application ON audit_log (application_id, id);
CREATE INDEX audit_log_host ON audit_log (host_id, id);

CREATE TABLE application_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX application_notes_application ON application_notes (application_id, id);

CREATE TABLE interviews (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    scheduled_at TIMESTAMP NOT NULL,
    duration_minutes INTEGER NOT NULL DEFAULT 60,
    mode TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '{}',
    sequence INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX interviews_application ON interviews (application_id);

CREATE TABLE decline_templates (
    id TEXT PRIMARY KEY,
    host_id TEXT REFERENCES hosts(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

ALTER TABLE applications ADD COLUMN reopened_steps TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN last_assigned_at TIMESTAMP;

-- +goose Down
ALTER TABLE hosts DROP COLUMN last_assigned_at;
ALTER TABLE applications DROP COLUMN reopened_steps;
DROP TABLE decline_templates;
DROP TABLE interviews;
DROP TABLE application_notes;
DROP TABLE audit_log;
DROP TABLE staff_tokens;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
