-- Issue 14, scale of data: at 100,000 guests the dashboard's counts and the admin's user
-- search must not read every user. Kept in step with migrations/postgres/0014_scale.sql.

-- The dashboard counts users by kind and state: each count is a range of this index.
CREATE INDEX users_kind ON users (user_type, state, mfa_required);

-- The user search matches any part of an address or a name (`LIKE '%…%'`), which no
-- B-tree serves: a trigram index (FTS5) finds the candidates, kept in step by triggers.
-- Its rows are keyed by `users_search_keys.rowid`, an explicit integer key, because a
-- VACUUM may renumber the users table's own rowids.
CREATE TABLE users_search_keys (
    rowid INTEGER PRIMARY KEY,
    user_id BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE
);
CREATE VIRTUAL TABLE users_search USING fts5 (email, display_name, tokenize = 'trigram');
INSERT INTO users_search_keys (user_id) SELECT id FROM users;
INSERT INTO users_search (rowid, email, display_name)
    SELECT k.rowid, u.email, u.display_name FROM users u JOIN users_search_keys k ON k.user_id = u.id;
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search_keys (user_id) VALUES (new.id);
    INSERT INTO users_search (rowid, email, display_name)
        VALUES ((SELECT rowid FROM users_search_keys WHERE user_id = new.id), new.email, new.display_name);
END;
-- Only a real change: `UPDATE users SET email = email` (a row lock) must cost nothing.
CREATE TRIGGER users_search_update AFTER UPDATE OF email, display_name ON users
    WHEN old.email IS NOT new.email OR old.display_name IS NOT new.display_name BEGIN
    UPDATE users_search SET email = new.email, display_name = new.display_name
        WHERE rowid = (SELECT rowid FROM users_search_keys WHERE user_id = old.id);
END;
CREATE TRIGGER users_search_delete BEFORE DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = (SELECT rowid FROM users_search_keys WHERE user_id = old.id);
END;

-- The worker looks for guests whose access ends soon (to tell their sponsors): a range of
-- this small index, not a walk over every accepted guest.
CREATE INDEX users_expires ON users (expires_at) WHERE expires_at IS NOT NULL;
