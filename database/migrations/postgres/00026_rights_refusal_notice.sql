-- +goose Up
-- A refused data-rights request keeps the reason staff gave (told to the
-- association by e-mail and on its page).
ALTER TABLE rights_requests ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- An e-mail whose recipient must not be remembered once it is sent (the
-- notice that a request was erased): the dispatcher empties its address,
-- name and subject with the bodies when it is sent.
ALTER TABLE mail_outbox ADD COLUMN forget_sent BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE mail_outbox DROP COLUMN forget_sent;
ALTER TABLE rights_requests DROP COLUMN reason;
