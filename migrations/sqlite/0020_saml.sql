-- no-transaction
-- Issue 25: identity providers of kind `saml`. SQLite cannot widen a CHECK, so
-- identity_providers is rebuilt (docs/MIGRATIONS.md; no table points at it yet, it has no
-- triggers and its only index is the slug's UNIQUE). Then the SAML side of an IdP, the
-- AuthnRequests in flight (the IdP's cross-site POST brings no cookie, so they are kept
-- here), each Assertion ID once (replay, agreed by every instance), and a verified answer
-- waiting for its browser. Kept in step with migrations/postgres/0020_saml.sql.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE identity_providers_new (
    id BLOB PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('oidc', 'github', 'google', 'microsoft', 'saml')),
    display_name TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    client_id TEXT NOT NULL,
    client_secret_enc TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT 'openid email profile',
    domains TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    is_workforce BOOLEAN NOT NULL DEFAULT FALSE,
    managed_by_config BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    trust_mfa BOOLEAN NOT NULL DEFAULT FALSE,
    trusted_acr TEXT NOT NULL DEFAULT ''
);
INSERT INTO identity_providers_new SELECT * FROM identity_providers;
DROP TABLE identity_providers;
ALTER TABLE identity_providers_new RENAME TO identity_providers;

-- `identity_providers.issuer` holds the IdP's entityID (identities are keyed by it).
CREATE TABLE saml_idps (
    idp_id BLOB PRIMARY KEY NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    -- Empty when the admin pasted the metadata.
    metadata_url TEXT NOT NULL DEFAULT '',
    -- The metadata last read, as it came.
    metadata_xml TEXT NOT NULL,
    sso_url TEXT NOT NULL,
    sso_binding TEXT NOT NULL CHECK (sso_binding IN ('redirect', 'post')),
    -- Base64 DER certificates, one per line (several during a key rollover).
    signing_certs TEXT NOT NULL,
    email_trusted BOOLEAN NOT NULL DEFAULT FALSE,
    allow_sha1 BOOLEAN NOT NULL DEFAULT FALSE,
    allow_idp_initiated BOOLEAN NOT NULL DEFAULT FALSE,
    -- Sign our AuthnRequests (with the one key of saml_sp_keys).
    sign_requests BOOLEAN NOT NULL DEFAULT FALSE,
    -- Space-separated attribute names; empty: the defaults.
    email_attributes TEXT NOT NULL DEFAULT '',
    name_attributes TEXT NOT NULL DEFAULT '',
    persistent_attribute TEXT NOT NULL DEFAULT '',
    metadata_read_at TEXT NOT NULL,
    -- When a metadata URL is read again; NULL for pasted metadata.
    metadata_refresh_at TEXT,
    -- The last refresh's failure, shown to admins; empty when it worked.
    metadata_problem TEXT NOT NULL DEFAULT ''
);

-- This installation's SAML signing key (one row, `id` = 'sp'): PKCS#8 encrypted under the
-- instance key, and its self-signed certificate (base64 DER), published in our metadata.
CREATE TABLE saml_sp_keys (
    id TEXT PRIMARY KEY NOT NULL,
    private_key_enc TEXT NOT NULL,
    certificate TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE saml_requests (
    id TEXT PRIMARY KEY NOT NULL,
    idp_id BLOB NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

CREATE TABLE saml_assertions_seen (
    idp_id BLOB NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (idp_id, assertion_id)
);
CREATE INDEX saml_assertions_seen_expiry ON saml_assertions_seen (expires_at);

CREATE TABLE saml_arrivals (
    handle_hash TEXT PRIMARY KEY NOT NULL,
    idp_id BLOB NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    -- The AuthnRequest answered; empty for an IdP-initiated answer.
    request_id TEXT NOT NULL,
    relay_state TEXT NOT NULL DEFAULT '',
    -- `federation::Authenticated` as JSON.
    identity TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX saml_arrivals_expiry ON saml_arrivals (expires_at);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
