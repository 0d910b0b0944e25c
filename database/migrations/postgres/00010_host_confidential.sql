-- +goose Up
-- What a host's staff write about a request stays with that host when the
-- request moves to another one: each note, timeline entry and interview
-- records the host the request was with when it was written. Rows written
-- before get the request's current host.
ALTER TABLE application_notes ADD COLUMN host_id TEXT NOT NULL DEFAULT '';
ALTER TABLE application_events ADD COLUMN host_id TEXT NOT NULL DEFAULT '';
ALTER TABLE interviews ADD COLUMN host_id TEXT NOT NULL DEFAULT '';
UPDATE application_notes SET host_id = COALESCE((SELECT a.host_id FROM applications a WHERE a.id = application_notes.application_id), '');
UPDATE application_events SET host_id = COALESCE((SELECT a.host_id FROM applications a WHERE a.id = application_events.application_id), '');
UPDATE interviews SET host_id = COALESCE((SELECT a.host_id FROM applications a WHERE a.id = interviews.application_id), '');

-- +goose Down
ALTER TABLE interviews DROP COLUMN host_id;
ALTER TABLE application_events DROP COLUMN host_id;
ALTER TABLE application_notes DROP COLUMN host_id;
