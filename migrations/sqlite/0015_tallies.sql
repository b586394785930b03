-- Issue 14, the dashboard at 100,000 guests: counting an index range of 82,000 active
-- guests took 6–10 ms on every view. These tallies make each count a sum over a few dozen
-- rows. Every change that moves a user or an invitation from one count to another appends
-- one row (`n` added to the key `plus`, taken from the key `minus`); nothing is updated in
-- place, so concurrent transactions (on PostgreSQL) never queue on a shared counter row or
-- deadlock over two. The worker folds the rows into one per key (`db::tallies::fold`).
-- Kept in step with migrations/postgres/0015_tallies.sql.
CREATE TABLE tallies (
    id INTEGER PRIMARY KEY,
    plus TEXT,
    minus TEXT,
    n INTEGER NOT NULL
);

-- Keys: 'user <type> <state>[ mfa]' and 'invitation <status>'.
INSERT INTO tallies (plus, n)
    SELECT 'user ' || user_type || ' ' || state || CASE WHEN mfa_required THEN ' mfa' ELSE '' END, COUNT(*)
    FROM users GROUP BY 1;
INSERT INTO tallies (plus, n) SELECT 'invitation ' || status, COUNT(*) FROM invitations GROUP BY 1;

CREATE TRIGGER users_tally_insert AFTER INSERT ON users BEGIN
    INSERT INTO tallies (plus, n)
        VALUES ('user ' || new.user_type || ' ' || new.state || CASE WHEN new.mfa_required THEN ' mfa' ELSE '' END, 1);
END;
-- Only a change of what is counted: a sign-in's update of the user costs no row here.
CREATE TRIGGER users_tally_update AFTER UPDATE OF user_type, state, mfa_required ON users
    WHEN old.user_type IS NOT new.user_type OR old.state IS NOT new.state
        OR old.mfa_required IS NOT new.mfa_required BEGIN
    INSERT INTO tallies (plus, minus, n) VALUES (
        'user ' || new.user_type || ' ' || new.state || CASE WHEN new.mfa_required THEN ' mfa' ELSE '' END,
        'user ' || old.user_type || ' ' || old.state || CASE WHEN old.mfa_required THEN ' mfa' ELSE '' END,
        1);
END;
CREATE TRIGGER users_tally_delete AFTER DELETE ON users BEGIN
    INSERT INTO tallies (minus, n)
        VALUES ('user ' || old.user_type || ' ' || old.state || CASE WHEN old.mfa_required THEN ' mfa' ELSE '' END, 1);
END;

CREATE TRIGGER invitations_tally_insert AFTER INSERT ON invitations BEGIN
    INSERT INTO tallies (plus, n) VALUES ('invitation ' || new.status, 1);
END;
CREATE TRIGGER invitations_tally_update AFTER UPDATE OF status ON invitations
    WHEN old.status IS NOT new.status BEGIN
    INSERT INTO tallies (plus, minus, n) VALUES ('invitation ' || new.status, 'invitation ' || old.status, 1);
END;
CREATE TRIGGER invitations_tally_delete AFTER DELETE ON invitations BEGIN
    INSERT INTO tallies (minus, n) VALUES ('invitation ' || old.status, 1);
END;
