-- +goose Up
-- An erased request keeps its row (its provisioning job, case and figures
-- point at it) with every personal field emptied; erased_at says when.
ALTER TABLE applications ADD COLUMN erased_at TIMESTAMP;

-- The register of data-rights requests: who asked for what, when, and when
-- it was answered. No foreign key: the line outlives what it is about (it is
-- the minimal record of an erasure). requested_by is 'association' or the id
-- of a staff account, never a name or an address.
CREATE TABLE rights_requests (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    application_id TEXT NOT NULL DEFAULT '',
    staff_id TEXT NOT NULL DEFAULT '',
    host_id TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    answered_at TIMESTAMP,
    answered_by TEXT NOT NULL DEFAULT '',
    nextcloud TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rights_requests_status ON rights_requests (status, requested_at);
CREATE INDEX rights_requests_application ON rights_requests (application_id);

-- +goose Down
DROP TABLE rights_requests;
ALTER TABLE applications DROP COLUMN erased_at;
