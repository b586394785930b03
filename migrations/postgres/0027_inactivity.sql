-- Guest lifecycle (F12): inactive guests are counted and listed by their last sign-in (or
-- acceptance), and the worker deletes audit events and sent mail past their retention.
-- Kept in step with the other database's 0027_inactivity.sql.

-- The expression and the condition are those of db::users::inactive_guest.
CREATE INDEX users_last_seen ON users (COALESCE(last_sign_in_at, accepted_at))
    WHERE user_type = 'guest' AND state = 'accepted';
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX outbox_sent ON outbox (COALESCE(sent_at, created_at)) WHERE status = 'sent';
