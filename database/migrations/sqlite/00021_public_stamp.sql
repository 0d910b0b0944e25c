-- +goose Up
-- The public pages' stamp in one row: triggers count every change to hosts
-- and cases (as the old COUNT(*) and latest updated_at saw them) so that a
-- public page learns whether it changed with one indexed read.
ALTER TABLE showcase_state ADD COLUMN hosts_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE showcase_state ADD COLUMN hosts_changed_at TIMESTAMP;
ALTER TABLE showcase_state ADD COLUMN cases_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE showcase_state ADD COLUMN cases_changed_at TIMESTAMP;
UPDATE showcase_state SET
    hosts_changed_at = (SELECT MAX(updated_at) FROM hosts),
    cases_changed_at = (SELECT MAX(updated_at) FROM cases)
WHERE id = 1;

-- +goose StatementBegin
CREATE TRIGGER hosts_stamp_insert AFTER INSERT ON hosts BEGIN
    UPDATE showcase_state SET hosts_revision = hosts_revision + 1,
        hosts_changed_at = CASE WHEN hosts_changed_at IS NULL OR NEW.updated_at > hosts_changed_at THEN NEW.updated_at ELSE hosts_changed_at END
    WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER hosts_stamp_update AFTER UPDATE ON hosts WHEN NEW.updated_at IS NOT OLD.updated_at BEGIN
    UPDATE showcase_state SET hosts_revision = hosts_revision + 1,
        hosts_changed_at = CASE WHEN hosts_changed_at IS NULL OR NEW.updated_at > hosts_changed_at THEN NEW.updated_at ELSE hosts_changed_at END
    WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER hosts_stamp_delete AFTER DELETE ON hosts BEGIN
    UPDATE showcase_state SET hosts_revision = hosts_revision + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER cases_stamp_insert AFTER INSERT ON cases BEGIN
    UPDATE showcase_state SET cases_revision = cases_revision + 1,
        cases_changed_at = CASE WHEN cases_changed_at IS NULL OR NEW.updated_at > cases_changed_at THEN NEW.updated_at ELSE cases_changed_at END
    WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER cases_stamp_update AFTER UPDATE ON cases WHEN NEW.updated_at IS NOT OLD.updated_at BEGIN
    UPDATE showcase_state SET cases_revision = cases_revision + 1,
        cases_changed_at = CASE WHEN cases_changed_at IS NULL OR NEW.updated_at > cases_changed_at THEN NEW.updated_at ELSE cases_changed_at END
    WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER cases_stamp_delete AFTER DELETE ON cases BEGIN
    UPDATE showcase_state SET cases_revision = cases_revision + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER cases_stamp_delete;
DROP TRIGGER cases_stamp_update;
DROP TRIGGER cases_stamp_insert;
DROP TRIGGER hosts_stamp_delete;
DROP TRIGGER hosts_stamp_update;
DROP TRIGGER hosts_stamp_insert;
ALTER TABLE showcase_state DROP COLUMN cases_changed_at;
ALTER TABLE showcase_state DROP COLUMN cases_revision;
ALTER TABLE showcase_state DROP COLUMN hosts_changed_at;
ALTER TABLE showcase_state DROP COLUMN hosts_revision;
