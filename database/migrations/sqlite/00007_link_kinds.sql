-- +goose Up
-- A browser token (the cookie of the browser that filled the form) resumes
-- a request but proves nothing; only a mail token, opened by someone who
-- received it at the address it was sent to, confirms that address.
ALTER TABLE application_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'mail';
ALTER TABLE application_tokens ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE application_tokens DROP COLUMN email;
ALTER TABLE application_tokens DROP COLUMN kind;
