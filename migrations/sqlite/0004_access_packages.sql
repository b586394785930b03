-- Groups, access packages, self-service sign-up requests and their approvals (F4, F5).
-- Kept in step with migrations/postgres.
CREATE TABLE groups (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE group_apps (
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    app_id BLOB NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, app_id)
);

CREATE TABLE access_packages (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    approval_mode TEXT NOT NULL CHECK (approval_mode IN ('none', 'any', 'all')),
    duration_days INTEGER,
    domains TEXT NOT NULL DEFAULT '',
    published BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE package_apps (
    package_id BLOB NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    app_id BLOB NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    PRIMARY KEY (package_id, app_id)
);

CREATE TABLE package_groups (
    package_id BLOB NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (package_id, group_id)
);

CREATE TABLE package_approvers (
    package_id BLOB NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (package_id, user_id)
);

CREATE TABLE signup_requests (
    id BLOB PRIMARY KEY NOT NULL,
    package_id BLOB NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    -- Set when a signed-in user asked from the Access Panel.
    user_id BLOB REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    company TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('email_unverified', 'pending_approval', 'approved', 'denied', 'expired', 'withdrawn')),
    -- The partner's status link (`/signup/status/{token}`), stored hashed.
    status_token_hash TEXT NOT NULL UNIQUE,
    ip TEXT NOT NULL DEFAULT '',
    terms_version TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    email_verified_at TEXT,
    reminded_at TEXT,
    decided_at TEXT,
    decided_by TEXT NOT NULL DEFAULT '',
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX signup_requests_status ON signup_requests (status, expires_at);
CREATE INDEX signup_requests_ip ON signup_requests (ip, created_at);

CREATE TABLE approvals (
    id BLOB PRIMARY KEY NOT NULL,
    request_id BLOB NOT NULL REFERENCES signup_requests (id) ON DELETE CASCADE,
    approver_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    decision TEXT CHECK (decision IN ('approved', 'denied')),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    decided_at TEXT,
    UNIQUE (request_id, approver_id)
);
