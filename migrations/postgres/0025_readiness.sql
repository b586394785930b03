-- Issue 30: `/readyz` proves that a write transaction can begin and commit (after a full
-- disk, reading worked while every write failed) by updating this one row. Kept in step
-- with the other database's migration.
CREATE TABLE readiness (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TIMESTAMPTZ NOT NULL
);
INSERT INTO readiness (id, checked_at) VALUES (1, '1970-01-01T00:00:00Z');
