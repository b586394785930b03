-- Signing in with a passkey starts before anyone is known: such a ceremony has no person
-- yet and remembers the client's address instead, so that one address cannot start them
-- without end. Ceremonies live for minutes, so the table is simply made again.
DROP TABLE webauthn_ceremonies;
CREATE TABLE webauthn_ceremonies (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('register', 'authenticate', 'sign-in')),
    client_ip TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX webauthn_ceremonies_user ON webauthn_ceremonies (user_id);
CREATE INDEX webauthn_ceremonies_ip ON webauthn_ceremonies (client_ip, created_at);
