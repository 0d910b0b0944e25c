-- +goose Up
-- The showcase's consent rules need a little more than 00005 gave:
-- every link e-mailed to the association keeps working (a table of link
-- hashes), the version of the
-- last decision (a refusal or a withdrawal is final for the text it was
-- about), the digest of the current text, the logo's size and digest, and
-- a change counter that the public pages' ETags are built from.
ALTER TABLE showcase_entries ADD COLUMN decided_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE showcase_entries ADD COLUMN text_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE showcase_entries ADD COLUMN logo_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE showcase_entries ADD COLUMN logo_width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE showcase_entries ADD COLUMN logo_height INTEGER NOT NULL DEFAULT 0;

CREATE TABLE showcase_links (
    hash TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES showcase_entries(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX showcase_links_entry ON showcase_links (entry_id);

-- The services of the published entries, one row each: the public index
-- the service filter reads. Rows exist only while their entry is published
-- (written on consent, deleted when it stops being public).
CREATE TABLE showcase_entry_services (
    entry_id TEXT NOT NULL REFERENCES showcase_entries(id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (entry_id, service)
);
CREATE INDEX showcase_entry_services_service ON showcase_entry_services (service, published_at, entry_id);

-- One row: bumped in the same transaction as every change to an entry, so
-- that a withdrawal changes every public ETag at once, whatever the clocks
-- of the replicas say.
CREATE TABLE showcase_state (
    id INTEGER PRIMARY KEY,
    revision BIGINT NOT NULL,
    changed_at TIMESTAMP
);
INSERT INTO showcase_state (id, revision) VALUES (1, 0);

-- Public listings: newest first, filtered by region, département or host;
-- id ends each index so that the order needs no sort.
DROP INDEX showcase_entries_published;
CREATE INDEX showcase_entries_published ON showcase_entries (status, published_at, id);
CREATE INDEX showcase_entries_region ON showcase_entries (status, region, published_at, id);
CREATE INDEX showcase_entries_departement ON showcase_entries (status, departement, published_at, id);
CREATE INDEX showcase_entries_host ON showcase_entries (status, host_id, published_at, id);
CREATE INDEX showcase_consents_entry ON showcase_consents (entry_id, id);
-- The host directory and the figures are validated by the latest change
-- to a case; the figures read every case's host, year and outcome from an
-- index alone.
CREATE INDEX cases_updated ON cases (updated_at);
CREATE INDEX cases_figures ON cases (opened_at, host_id, outcome);

-- Published means consented to this very version: the database refuses
-- anything else, so that the public queries need only the status.
-- +goose StatementBegin
CREATE TRIGGER showcase_consent_insert BEFORE INSERT ON showcase_entries
WHEN NEW.status = 'published' AND NEW.consent_version <> NEW.version
BEGIN
    SELECT RAISE(ABORT, 'showcase: published without consent to this version');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER showcase_consent_update BEFORE UPDATE ON showcase_entries
WHEN NEW.status = 'published' AND NEW.consent_version <> NEW.version
BEGIN
    SELECT RAISE(ABORT, 'showcase: published without consent to this version');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER showcase_consent_update;
DROP TRIGGER showcase_consent_insert;
DROP INDEX cases_figures;
DROP INDEX cases_updated;
DROP INDEX showcase_consents_entry;
DROP INDEX showcase_entries_host;
DROP INDEX showcase_entries_departement;
DROP INDEX showcase_entries_region;
DROP INDEX showcase_entries_published;
CREATE INDEX showcase_entries_published ON showcase_entries (status, published_at);
DROP TABLE showcase_state;
DROP TABLE showcase_entry_services;
DROP TABLE showcase_links;
ALTER TABLE showcase_entries DROP COLUMN logo_height;
ALTER TABLE showcase_entries DROP COLUMN logo_width;
ALTER TABLE showcase_entries DROP COLUMN logo_digest;
ALTER TABLE showcase_entries DROP COLUMN text_digest;
ALTER TABLE showcase_entries DROP COLUMN decided_version;
