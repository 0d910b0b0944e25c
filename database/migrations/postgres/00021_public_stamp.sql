-- +goose Up
-- The public pages' stamp in one row: triggers count every change to hosts
-- and cases (as the old COUNT(*) and latest updated_at saw them) so that a
-- public page learns whether it changed with one indexed read.
ALTER TABLE showcase_state ADD COLUMN hosts_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE showcase_state ADD COLUMN hosts_changed_at TIMESTAMPTZ;
ALTER TABLE showcase_state ADD COLUMN cases_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE showcase_state ADD COLUMN cases_changed_at TIMESTAMPTZ;
UPDATE showcase_state SET
    hosts_changed_at = (SELECT MAX(updated_at) FROM hosts),
    cases_changed_at = (SELECT MAX(updated_at) FROM cases)
WHERE id = 1;

-- +goose StatementBegin
CREATE FUNCTION hosts_stamp() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE showcase_state SET hosts_revision = hosts_revision + 1 WHERE id = 1;
    ELSE
        UPDATE showcase_state SET hosts_revision = hosts_revision + 1,
            hosts_changed_at = GREATEST(hosts_changed_at, NEW.updated_at) WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION cases_stamp() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE showcase_state SET cases_revision = cases_revision + 1 WHERE id = 1;
    ELSE
        UPDATE showcase_state SET cases_revision = cases_revision + 1,
            cases_changed_at = GREATEST(cases_changed_at, NEW.updated_at) WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER hosts_stamp_insert_delete AFTER INSERT OR DELETE ON hosts FOR EACH ROW EXECUTE FUNCTION hosts_stamp();
CREATE TRIGGER hosts_stamp_update AFTER UPDATE ON hosts FOR EACH ROW
    WHEN (NEW.updated_at IS DISTINCT FROM OLD.updated_at) EXECUTE FUNCTION hosts_stamp();
CREATE TRIGGER cases_stamp_insert_delete AFTER INSERT OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION cases_stamp();
CREATE TRIGGER cases_stamp_update AFTER UPDATE ON cases FOR EACH ROW
    WHEN (NEW.updated_at IS DISTINCT FROM OLD.updated_at) EXECUTE FUNCTION cases_stamp();

-- +goose Down
DROP TRIGGER cases_stamp_update ON cases;
DROP TRIGGER cases_stamp_insert_delete ON cases;
DROP TRIGGER hosts_stamp_update ON hosts;
DROP TRIGGER hosts_stamp_insert_delete ON hosts;
DROP FUNCTION cases_stamp();
DROP FUNCTION hosts_stamp();
ALTER TABLE showcase_state DROP COLUMN cases_changed_at;
ALTER TABLE showcase_state DROP COLUMN cases_revision;
ALTER TABLE showcase_state DROP COLUMN hosts_changed_at;
ALTER TABLE showcase_state DROP COLUMN hosts_revision;
