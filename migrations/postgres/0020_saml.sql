-- Issue 25: identity providers of kind `saml`, the SAML side of an IdP, AuthnRequests in
-- flight (the IdP's cross-site POST brings no cookie, so they are kept here), each
-- Assertion ID once (replay, agreed by every instance), and a verified answer waiting for
-- its browser. Kept in step with migrations/sqlite/0020_saml.sql.
ALTER TABLE identity_providers DROP CONSTRAINT identity_providers_kind_check;
ALTER TABLE identity_providers ADD CONSTRAINT identity_providers_kind_check
    CHECK (kind IN ('oidc', 'github', 'google', 'microsoft', 'saml'));

CREATE TABLE saml_idps (
    idp_id UUID PRIMARY KEY NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    metadata_url TEXT NOT NULL DEFAULT '',
    metadata_xml TEXT NOT NULL,
    sso_url TEXT NOT NULL,
    sso_binding TEXT NOT NULL CHECK (sso_binding IN ('redirect', 'post')),
    signing_certs TEXT NOT NULL,
    email_trusted BOOLEAN NOT NULL DEFAULT FALSE,
    allow_sha1 BOOLEAN NOT NULL DEFAULT FALSE,
    allow_idp_initiated BOOLEAN NOT NULL DEFAULT FALSE,
    -- Sign our AuthnRequests (with the one key of saml_sp_keys).
    sign_requests BOOLEAN NOT NULL DEFAULT FALSE,
    email_attributes TEXT NOT NULL DEFAULT '',
    name_attributes TEXT NOT NULL DEFAULT '',
    persistent_attribute TEXT NOT NULL DEFAULT '',
    metadata_read_at TIMESTAMPTZ NOT NULL,
    metadata_refresh_at TIMESTAMPTZ,
    metadata_problem TEXT NOT NULL DEFAULT ''
);

-- This installation's SAML signing key (one row, `id` = 'sp'): PKCS#8 encrypted under the
-- instance key, and its self-signed certificate (base64 DER), published in our metadata.
CREATE TABLE saml_sp_keys (
    id TEXT PRIMARY KEY NOT NULL,
    private_key_enc TEXT NOT NULL,
    certificate TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE saml_requests (
    id TEXT PRIMARY KEY NOT NULL,
    idp_id UUID NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

CREATE TABLE saml_assertions_seen (
    idp_id UUID NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (idp_id, assertion_id)
);
CREATE INDEX saml_assertions_seen_expiry ON saml_assertions_seen (expires_at);

CREATE TABLE saml_arrivals (
    handle_hash TEXT PRIMARY KEY NOT NULL,
    idp_id UUID NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    request_id TEXT NOT NULL,
    relay_state TEXT NOT NULL DEFAULT '',
    identity TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_arrivals_expiry ON saml_arrivals (expires_at);
