-- +goose Up
-- A host's terms of use as Archipel shows them to associations, every
-- version kept: a request records the version and digest of the text it
-- accepted, and staff can read that very text later.
CREATE TABLE host_terms (
    host_id TEXT NOT NULL REFERENCES hosts(id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (host_id, version)
);

-- +goose Down
DROP TABLE host_terms;
