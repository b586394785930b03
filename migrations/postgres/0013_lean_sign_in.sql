-- Issue 14: a sign-in no longer touches its identity; the audit event names the identity
-- used instead. The column is dropped so nobody reads a value that is no longer kept.
ALTER TABLE identities DROP COLUMN last_used_at;
