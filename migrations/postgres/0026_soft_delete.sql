-- Issue 27 (F12): a guest who leaves (or whom the end-of-access policy deletes) is blocked
-- and soft-deleted: an admin can restore the account for 30 days, then the worker purges
-- the person's data. Kept in step with the other database's migration.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMPTZ;
CREATE INDEX users_deleted_at ON users (deleted_at) WHERE deleted_at IS NOT NULL;
-- When the end-of-access policy last acted on a guest whose assignments had all ended: it
-- acts again only after a later end (the guest was given access again meanwhile).
ALTER TABLE users ADD COLUMN access_ended_at TIMESTAMPTZ;
