-- +goose Up
-- One provisioning job per request: the unique application_id is what makes
-- a double-clicked or concurrent approval start a single job.
CREATE TABLE provisioning_jobs (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
    host_id TEXT NOT NULL REFERENCES hosts(id),
    status TEXT NOT NULL,
    plan TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '{}',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_run_at TIMESTAMP NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMP,
    error_key TEXT NOT NULL DEFAULT '',
    error_detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX provisioning_jobs_due ON provisioning_jobs (status, next_run_at);
CREATE INDEX provisioning_jobs_host ON provisioning_jobs (host_id, status);

CREATE TABLE provisioning_steps (
    job_id TEXT NOT NULL REFERENCES provisioning_jobs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    error_key TEXT NOT NULL DEFAULT '',
    error_detail TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (job_id, name)
);

-- Every Nextcloud id Archipel reserved on a host, and for which request:
-- an id is never given to two requests, and one that existed before is
-- never adopted.
CREATE TABLE nextcloud_ids (
    host_id TEXT NOT NULL REFERENCES hosts(id),
    kind TEXT NOT NULL,
    nc_id TEXT NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (host_id, kind, nc_id)
);

CREATE TABLE workspaces (
    application_id TEXT PRIMARY KEY REFERENCES applications(id),
    host_id TEXT NOT NULL REFERENCES hosts(id),
    login_url TEXT NOT NULL,
    account_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    folder TEXT NOT NULL,
    quota_bytes BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

-- +goose Down
DROP TABLE workspaces;
DROP TABLE nextcloud_ids;
DROP TABLE provisioning_steps;
DROP TABLE provisioning_jobs;
