-- Vestibule as the OpenID Provider of the host's apps (SPEC F9): apps become OIDC clients,
-- with authorization codes, grants (one per code exchange, the family of its refresh
-- tokens), consents and signing keys. Sessions record how the person signed in (`amr`).
-- The outbox also carries back-channel logout deliveries (`kind`).
-- Kept in step with migrations/sqlite/0006_openid_provider.sql.

ALTER TABLE apps ADD COLUMN client_id TEXT;
ALTER TABLE apps ADD COLUMN client_type TEXT NOT NULL DEFAULT 'confidential'
    CHECK (client_type IN ('confidential', 'public'));
ALTER TABLE apps ADD COLUMN client_secret_hash TEXT;
ALTER TABLE apps ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE apps ADD COLUMN initiate_login_uri TEXT;
ALTER TABLE apps ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'RS256'
    CHECK (id_token_alg IN ('RS256', 'ES256', 'EdDSA'));
ALTER TABLE apps ADD COLUMN consent_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE apps ADD COLUMN pairwise_subject BOOLEAN NOT NULL DEFAULT FALSE;
-- Apps declared in vestibule.toml ([[apps]], by slug) are managed there, not on the form.
ALTER TABLE apps ADD COLUMN slug TEXT;
ALTER TABLE apps ADD COLUMN managed_by_config BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX apps_slug ON apps (slug);
ALTER TABLE apps ADD COLUMN client_first_used_at TIMESTAMPTZ;
CREATE UNIQUE INDEX apps_client_id ON apps (client_id);

ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';

CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    app_id UUID NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    session_id UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce TEXT,
    scope TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

-- A grant is what one code exchange gave one app for one browser session: it ends with
-- the session (the cascade), on revocation, on refresh-token reuse or on a replayed code.
-- Its refresh token is keyed to (id, refresh_generation): each refresh moves the
-- generation on, so an older token presented again is a reuse (RFC 9700 §4.14.2).
CREATE TABLE oauth_grants (
    id UUID PRIMARY KEY NOT NULL,
    app_id UUID NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    session_id UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    refresh_generation BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_grants_session ON oauth_grants (session_id);

CREATE TABLE oauth_consents (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id UUID NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, app_id)
);

-- Signing keys per algorithm: `next` is published before it signs, `current` signs,
-- `retired` stays published until every token it signed has expired.
CREATE TABLE signing_keys (
    id UUID PRIMARY KEY NOT NULL,
    kid TEXT NOT NULL UNIQUE,
    alg TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    state TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    private_key TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    activated_at TIMESTAMPTZ,
    retired_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE state = 'next';

ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'mail'
    CHECK (kind IN ('mail', 'backchannel_logout'));
