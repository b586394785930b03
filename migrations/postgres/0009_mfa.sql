-- Conditional access (issue 11): second factors, recovery codes and who must use them.
-- Kept in step with migrations/sqlite/0009_mfa.sql.

-- A person's second factors: authenticator apps and passkeys. `secret` (the TOTP key, or
-- the passkey's public credential as JSON) is encrypted with the instance key (SPEC §4);
-- `confirmed_at` is empty while an authenticator app is being set up; `last_step` is the
-- last TOTP time step accepted, so no code is accepted twice (RFC 6238 §5.2).
CREATE TABLE mfa_methods (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('totp', 'passkey')),
    name TEXT NOT NULL,
    secret TEXT NOT NULL,
    last_step BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX mfa_methods_user ON mfa_methods (user_id);

-- A WebAuthn ceremony under way (registering or using a passkey): the server's half of
-- the challenge, encrypted, for a few minutes.
CREATE TABLE webauthn_ceremonies (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('register', 'authenticate')),
    state TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webauthn_ceremonies_user ON webauthn_ceremonies (user_id);

-- Ten single-use codes for when the authenticator is lost; only their hashes are kept.
CREATE TABLE recovery_codes (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- MFA for one person whatever the organization says; wrong second-factor codes in a row,
-- and until when attempts are paused after five.
ALTER TABLE users ADD COLUMN mfa_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN mfa_failures BIGINT NOT NULL DEFAULT 0;
-- Per identity provider: accept the MFA the partner's own IdP did (its ID token's `amr`,
-- or an `acr` in this space-separated list, with a recent `auth_time`).
ALTER TABLE identity_providers ADD COLUMN trust_mfa BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE identity_providers ADD COLUMN trusted_acr TEXT NOT NULL DEFAULT '';
-- An app that asks for a second step before it opens (step-up at launch and at authorize).
ALTER TABLE apps ADD COLUMN mfa_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN mfa_paused_until TIMESTAMPTZ;
