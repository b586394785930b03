-- Foundation: users, identities, invitations, apps, assignments, codes, audit, outbox.
-- Kept in step with migrations/postgres/0001_foundation.sql.

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    company TEXT NOT NULL DEFAULT '',
    user_type TEXT NOT NULL CHECK (user_type IN ('member', 'guest')),
    state TEXT NOT NULL CHECK (state IN ('pending_acceptance', 'accepted', 'blocked')),
    created_via TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    session_epoch BIGINT NOT NULL DEFAULT 0,
    terms_version TEXT,
    created_at TEXT NOT NULL,
    accepted_at TEXT,
    last_sign_in_at TEXT,
    expires_at TEXT
);
CREATE INDEX users_created_at ON users (created_at);

CREATE TABLE user_sponsors (
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sponsor_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, sponsor_id)
);

CREATE TABLE identities (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE apps (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    launch_url TEXT NOT NULL,
    icon_url TEXT,
    visible_in_panel BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE invitations (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inviter_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    email TEXT NOT NULL,
    redirect_url TEXT,
    message TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'redeemed', 'revoked', 'expired')),
    sent_count BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_sent_at TEXT,
    redeemed_at TEXT,
    revoked_at TEXT
);
CREATE INDEX invitations_user ON invitations (user_id);
CREATE INDEX invitations_status ON invitations (status, expires_at);

CREATE TABLE invitation_apps (
    invitation_id BLOB NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    app_id BLOB NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    PRIMARY KEY (invitation_id, app_id)
);

CREATE TABLE assignments (
    id BLOB PRIMARY KEY NOT NULL,
    app_id BLOB NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source TEXT NOT NULL DEFAULT 'direct',
    expires_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (app_id, user_id, source)
);
CREATE INDEX assignments_user ON assignments (user_id);

CREATE TABLE email_codes (
    id BLOB PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    user_id BLOB REFERENCES users (id) ON DELETE CASCADE,
    invitation_id BLOB REFERENCES invitations (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    consumed_at TEXT
);
CREATE INDEX email_codes_email ON email_codes (email, created_at);

CREATE TABLE signin_links (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BLOB,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_label TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_target ON audit_events (target_id);

CREATE TABLE outbox (
    id BLOB PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    html_body TEXT NOT NULL,
    text_body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    sent_at TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
