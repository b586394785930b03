-- When a session last passed its second step with one of the person's own factors: adding,
-- removing or replacing a factor and new recovery codes need one within the last 10 minutes
-- (SPEC §4, "the second step"). NULL: never in this session.
-- Kept in step with migrations/sqlite/0016_second_step.sql.

ALTER TABLE sessions ADD COLUMN second_step_at TIMESTAMPTZ;
