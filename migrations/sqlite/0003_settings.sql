-- Settings admins change at run time (the settings page): one row per key, over the
-- defaults from the config file. Kept in step with the other database's migrations.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
