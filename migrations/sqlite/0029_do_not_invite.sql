-- Guest lifecycle (F12): addresses whose owners asked, from an invitation mail's "Block
-- future invitations" link, to be invited no more. An admin can lift an entry. And when a
-- guest last accepted the terms of use (a new version is accepted again at next sign-in;
-- `accepted_at` stays the day they redeemed). Kept in step with the other database's
-- migration.
CREATE TABLE do_not_invite (
    email TEXT PRIMARY KEY NOT NULL,
    added_at TEXT NOT NULL
);
ALTER TABLE users ADD COLUMN terms_accepted_at TEXT;
UPDATE users SET terms_accepted_at = accepted_at WHERE terms_version IS NOT NULL;
