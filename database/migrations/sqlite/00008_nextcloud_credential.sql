-- +goose Up
-- What the stored Nextcloud secret is: an app password (fast, revocable;
-- refused for management by Nextcloud 33 and later) or the login password
-- of a dedicated provisioning account (used once per session).
ALTER TABLE hosts ADD COLUMN nextcloud_credential TEXT NOT NULL DEFAULT 'app_password'
    CHECK (nextcloud_credential IN ('app_password', 'login_password'));

-- +goose Down
ALTER TABLE hosts DROP COLUMN nextcloud_credential;
