-- +goose Up
-- One row per run of a scheduled task and time slot: the replica that
-- inserts it runs the task, the others skip it.
CREATE TABLE scheduled_runs (
    name TEXT NOT NULL,
    slot TEXT NOT NULL,
    worker TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name, slot)
);

-- +goose Down
DROP TABLE scheduled_runs;
