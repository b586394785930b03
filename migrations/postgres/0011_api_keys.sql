-- F10: keys for the API. Only a key's SHA-256 is kept; `hint` (its first characters) lets
-- an admin tell keys apart. A key acts with its creator's rights, narrowed to its scopes.
CREATE TABLE api_keys (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_by UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- `Idempotency-Key` on POST: the first answer to a key and body, replayed for 24 hours.
-- The answer may hold a redemption link, so it is kept encrypted with the instance key.
-- A row with status 0 is a request still being answered.
CREATE TABLE api_idempotency (
    key_id UUID NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
