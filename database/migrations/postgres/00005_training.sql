-- +goose Up
-- A case follows an association from its workspace's opening until it is
-- autonomous (or drops out).
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
    host_id TEXT NOT NULL REFERENCES hosts(id),
    stage TEXT NOT NULL,
    goals TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    close_note TEXT NOT NULL DEFAULT '',
    checkins_stopped BOOLEAN NOT NULL DEFAULT FALSE,
    version INTEGER NOT NULL DEFAULT 1,
    opened_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);
CREATE INDEX cases_host_stage ON cases (host_id, stage);

CREATE TABLE case_trainers (
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    PRIMARY KEY (case_id, user_id)
);

-- Per-host catalogue of training topics (the defaults are built in).
CREATE TABLE training_topics (
    host_id TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    label_fr TEXT NOT NULL,
    label_en TEXT NOT NULL,
    PRIMARY KEY (host_id, key)
);

CREATE TABLE training_sessions (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    trainer_id TEXT NOT NULL DEFAULT '',
    starts_at TIMESTAMPTZ NOT NULL,
    duration_minutes INTEGER NOT NULL,
    format TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '',
    attendees INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    next_steps TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX training_sessions_case ON training_sessions (case_id, starts_at);
CREATE INDEX training_sessions_starts ON training_sessions (starts_at);

-- Check-ins are rows so that a restart loses none and sends none twice:
-- each is claimed (status, claimed_by, lease) before it is sent.
CREATE TABLE checkins (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    offset_days INTEGER NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    claimed_by TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    reminded_at TIMESTAMPTZ,
    answered_at TIMESTAMPTZ,
    rating INTEGER NOT NULL DEFAULT 0,
    works TEXT NOT NULL DEFAULT '',
    blocks TEXT NOT NULL DEFAULT '',
    wants_help BOOLEAN NOT NULL DEFAULT FALSE,
    wants_training BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (case_id, offset_days)
);
CREATE INDEX checkins_due ON checkins (status, due_at);

-- What the host's Nextcloud said of a workspace's use, one row per reading.
CREATE TABLE usage_readings (
    id BIGSERIAL PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    taken_at TIMESTAMPTZ NOT NULL,
    ok BOOLEAN NOT NULL,
    accounts INTEGER NOT NULL DEFAULT 0,
    last_login_at TIMESTAMPTZ,
    used_bytes BIGINT NOT NULL DEFAULT 0,
    quota_bytes BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX usage_readings_case ON usage_readings (case_id, taken_at);

CREATE TABLE case_flags (
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    flag TEXT NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, flag)
);

ALTER TABLE hosts ADD COLUMN checkin_offsets TEXT NOT NULL DEFAULT '7,30,90';

-- The public showcase: an entry is published only with the association's
-- recorded consent to that very version of its text.
CREATE TABLE showcase_entries (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE REFERENCES cases(id),
    host_id TEXT NOT NULL REFERENCES hosts(id),
    association_name TEXT NOT NULL,
    town TEXT NOT NULL,
    departement TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    story TEXT NOT NULL,
    quote TEXT NOT NULL DEFAULT '',
    services TEXT NOT NULL DEFAULT '',
    logo BYTEA,
    logo_type TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    consent_version INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    withdrawn_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX showcase_entries_published ON showcase_entries (status, published_at);

CREATE TABLE showcase_consents (
    id BIGSERIAL PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES showcase_entries(id) ON DELETE CASCADE,
    entry_version INTEGER NOT NULL,
    decision TEXT NOT NULL,
    text_digest TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE showcase_consents;
DROP TABLE showcase_entries;
ALTER TABLE hosts DROP COLUMN checkin_offsets;
DROP TABLE case_flags;
DROP TABLE usage_readings;
DROP TABLE checkins;
DROP TABLE training_sessions;
DROP TABLE training_topics;
DROP TABLE case_trainers;
DROP TABLE cases;
