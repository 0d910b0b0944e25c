-- +goose Up
-- Retries: when the current run of passing failures began (the retry
-- window counts from there) and when staff were told a job needs attention.
ALTER TABLE provisioning_jobs ADD COLUMN failing_since TIMESTAMPTZ;
ALTER TABLE provisioning_jobs ADD COLUMN notified_at TIMESTAMPTZ;

-- Per-host pacing set on the host page (0: the service's defaults), the
-- per-account quota of new workspaces, and the provisioning account for
-- which the host-wide access group was ensured (once per host).
ALTER TABLE hosts ADD COLUMN requests_per_second DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN jobs_at_once INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN default_account_quota_gb INTEGER NOT NULL DEFAULT 1;
ALTER TABLE hosts ADD COLUMN access_group_for TEXT NOT NULL DEFAULT '';

-- The group folder's id, so that readings look it up by id.
ALTER TABLE workspaces ADD COLUMN folder_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN account_quota_bytes BIGINT NOT NULL DEFAULT 0;

-- One token bucket per host, shared by every replica.
CREATE TABLE host_pacing (
    host_id TEXT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
    tokens DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- A scheduled run is claimed with a lease: a replica that dies mid-run
-- leaves it to another once the lease ends.
ALTER TABLE scheduled_runs ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE scheduled_runs ADD COLUMN finished_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE scheduled_runs DROP COLUMN finished_at;
ALTER TABLE scheduled_runs DROP COLUMN lease_until;
DROP TABLE host_pacing;
ALTER TABLE workspaces DROP COLUMN account_quota_bytes;
ALTER TABLE workspaces DROP COLUMN folder_id;
ALTER TABLE hosts DROP COLUMN access_group_for;
ALTER TABLE hosts DROP COLUMN default_account_quota_gb;
ALTER TABLE hosts DROP COLUMN jobs_at_once;
ALTER TABLE hosts DROP COLUMN requests_per_second;
ALTER TABLE provisioning_jobs DROP COLUMN notified_at;
ALTER TABLE provisioning_jobs DROP COLUMN failing_since;
