-- Issue 14, the dashboard at 100,000 guests: counting an index range of 82,000 active
-- guests took 6–10 ms on every view. These tallies make each count a sum over a few dozen
-- rows. Every change that moves a user or an invitation from one count to another appends
-- one row (`n` added to the key `plus`, taken from the key `minus`); nothing is updated in
-- place, so concurrent transactions never queue on a shared counter row or deadlock over
-- two. The worker folds the rows into one per key (`db::tallies::fold`).
-- Kept in step with migrations/sqlite/0015_tallies.sql.
CREATE TABLE tallies (
    id BIGSERIAL PRIMARY KEY,
    plus TEXT,
    minus TEXT,
    n BIGINT NOT NULL
);

-- Keys: 'user <type> <state>[ mfa]' and 'invitation <status>'.
CREATE FUNCTION user_tally_key(user_type TEXT, state TEXT, mfa_required BOOLEAN) RETURNS TEXT
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'user ' || user_type || ' ' || state || CASE WHEN mfa_required THEN ' mfa' ELSE '' END $$;

INSERT INTO tallies (plus, n)
    SELECT user_tally_key(user_type, state, mfa_required), COUNT(*) FROM users GROUP BY 1;
INSERT INTO tallies (plus, n) SELECT 'invitation ' || status, COUNT(*) FROM invitations GROUP BY 1;

CREATE FUNCTION users_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tallies (plus, n) VALUES (user_tally_key(NEW.user_type, NEW.state, NEW.mfa_required), 1);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO tallies (minus, n) VALUES (user_tally_key(OLD.user_type, OLD.state, OLD.mfa_required), 1);
    -- Only a change of what is counted: a sign-in's update of the user costs no row here.
    ELSIF (OLD.user_type, OLD.state, OLD.mfa_required) IS DISTINCT FROM (NEW.user_type, NEW.state, NEW.mfa_required) THEN
        INSERT INTO tallies (plus, minus, n) VALUES (
            user_tally_key(NEW.user_type, NEW.state, NEW.mfa_required),
            user_tally_key(OLD.user_type, OLD.state, OLD.mfa_required),
            1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER users_tally AFTER INSERT OR DELETE OR UPDATE OF user_type, state, mfa_required ON users
    FOR EACH ROW EXECUTE FUNCTION users_tally();

CREATE FUNCTION invitations_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tallies (plus, n) VALUES ('invitation ' || NEW.status, 1);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO tallies (minus, n) VALUES ('invitation ' || OLD.status, 1);
    ELSIF OLD.status IS DISTINCT FROM NEW.status THEN
        INSERT INTO tallies (plus, minus, n) VALUES ('invitation ' || NEW.status, 'invitation ' || OLD.status, 1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER invitations_tally AFTER INSERT OR DELETE OR UPDATE OF status ON invitations
    FOR EACH ROW EXECUTE FUNCTION invitations_tally();
