-- +goose Up
CREATE TABLE hosts (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    website TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    help_url TEXT NOT NULL DEFAULT '',
    terms_url TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    departements TEXT NOT NULL DEFAULT '*',
    services TEXT NOT NULL DEFAULT '',
    max_associations INTEGER NOT NULL DEFAULT 20,
    storage_budget_gb INTEGER NOT NULL DEFAULT 500,
    default_quota_gb INTEGER NOT NULL DEFAULT 10,
    default_accounts INTEGER NOT NULL DEFAULT 10,
    folder_template TEXT NOT NULL DEFAULT '',
    welcome_fr TEXT NOT NULL DEFAULT '',
    welcome_en TEXT NOT NULL DEFAULT '',
    nextcloud_url TEXT NOT NULL DEFAULT '',
    nextcloud_user TEXT NOT NULL DEFAULT '',
    nextcloud_secret BYTEA,
    paused BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 1,
    language TEXT NOT NULL,
    answers TEXT NOT NULL,
    association_name TEXT NOT NULL DEFAULT '',
    departement TEXT NOT NULL DEFAULT '',
    services TEXT NOT NULL DEFAULT '',
    legal_id TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    email_verified_at TIMESTAMPTZ,
    host_id TEXT REFERENCES hosts(id),
    match_reason TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    submitted_at TIMESTAMPTZ
);
CREATE INDEX applications_legal_id ON applications (legal_id);
CREATE INDEX applications_contact_email ON applications (contact_email);
CREATE INDEX applications_host_status ON applications (host_id, status);

CREATE TABLE application_tokens (
    hash TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX application_tokens_application ON application_tokens (application_id);

CREATE TABLE application_events (
    id BIGSERIAL PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    public BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX application_events_application ON application_events (application_id, id);

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    count INTEGER NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE application_events;
DROP TABLE application_tokens;
DROP TABLE applications;
DROP TABLE hosts;
