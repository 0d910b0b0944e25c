-- +goose Up
-- The queue searches one folded text per request (name, contact, e-mail,
-- town, postcode, RNA/SIREN; lower case, accents removed), kept up to date
-- by the store on every save. Rows written before get a plain lower-case
-- version here.
ALTER TABLE applications ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
-- The staff member following a request ("assigned to me").
ALTER TABLE applications ADD COLUMN assigned_to TEXT REFERENCES staff_users(id) ON DELETE SET NULL;
UPDATE applications SET search_text = lower(association_name || ' ' || contact_email || ' ' || legal_id || ' '
    || COALESCE(json_extract(answers, '$.association.town'), '') || ' '
    || COALESCE(json_extract(answers, '$.association.postcode'), '') || ' '
    || COALESCE(json_extract(answers, '$.members.contact_name'), ''));
CREATE INDEX applications_assigned_to ON applications (assigned_to);

-- +goose Down
DROP INDEX applications_assigned_to;
ALTER TABLE applications DROP COLUMN assigned_to;
ALTER TABLE applications DROP COLUMN search_text;
