-- Server-side session records (one per signed-in browser) and the client address of each
-- email code, so sends can be limited per address+IP as well as per address.
-- Kept in step with migrations/postgres/0005_sessions.sql.

CREATE TABLE sessions (
    id BLOB PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    client_ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

ALTER TABLE email_codes ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
CREATE INDEX email_codes_ip ON email_codes (client_ip, created_at);
