-- An API key dies with its creator's admin rights (issue 23). Keys whose creator stopped
-- being an admin, or was blocked, before that rule are revoked now, so making them an
-- admin again does not bring the keys back. Kept in step with the SQLite migration.
UPDATE api_keys SET revoked_at = now()
WHERE revoked_at IS NULL
  AND (created_by IS NULL OR created_by IN (SELECT id FROM users WHERE NOT is_admin OR state = 'blocked'));
