-- +goose Up
-- Sign-ins through the host's identity provider in progress: the state
-- (hashed; the browser holds it in a cookie and the provider sends it
-- back), the nonce the ID token must carry, the PKCE verifier and the page
-- to return to. Each row is used once, and only within minutes; any
-- replica may finish what another began.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);

-- +goose Down
DROP TABLE oidc_logins;
