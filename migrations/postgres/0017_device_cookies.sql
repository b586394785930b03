-- Issue 23: nobody can lock a person out of email sign-in from many addresses. A browser
-- that completed a sign-in for an address carries a device cookie (OWASP) and is counted on
-- its own: its code sends here (not toward the address's ceiling, the address+IP or the IP
-- limit), its wrong second-step codes in device_lockouts (not toward the person's pause).
-- Kept in step with migrations/sqlite/0017_device_cookies.sql.

ALTER TABLE email_codes ADD COLUMN device_id TEXT;
CREATE INDEX email_codes_device ON email_codes (device_id, created_at) WHERE device_id IS NOT NULL;

CREATE TABLE device_lockouts (
    device_id TEXT PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    failures BIGINT NOT NULL DEFAULT 0,
    paused_until TIMESTAMPTZ
);
CREATE INDEX device_lockouts_user ON device_lockouts (user_id);
