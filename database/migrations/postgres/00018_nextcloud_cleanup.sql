-- +goose Up
-- A provisioning job may become the clean-up of its workspace when staff
-- erase a request and choose to delete it on the host: the same row, claimed
-- and retried by the same engine, with its own steps. cleanup holds the
-- Nextcloud ids to delete (the job's state is emptied by the erasure) until
-- the clean-up succeeds.
ALTER TABLE provisioning_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'provision';
ALTER TABLE provisioning_jobs ADD COLUMN cleanup TEXT NOT NULL DEFAULT '{}';
ALTER TABLE workspaces ADD COLUMN deleted_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN deleted_at;
ALTER TABLE provisioning_jobs DROP COLUMN cleanup;
ALTER TABLE provisioning_jobs DROP COLUMN kind;
