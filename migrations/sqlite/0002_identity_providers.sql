-- Home identity providers guests (and members) sign in with. The client secret is stored
-- encrypted under the instance key. Kept in step with migrations/postgres.
CREATE TABLE identity_providers (
    id BLOB PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('oidc', 'github', 'google', 'microsoft')),
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
    updated_at TEXT NOT NULL
);
