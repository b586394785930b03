-- Issue 26: mail that partners trust. Each message keeps the display name it is sent under
-- (the organization's name when it was queued) and whom a reply reaches (the inviter, the
-- approver), so a message delivered later reads as it was written. Kept in step with the
-- other database's migration.
ALTER TABLE outbox ADD COLUMN sender_name TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
