-- Access reviews (F12). `package_grants` records who was granted which access package (and
-- until when), so a review can be scoped to a package's guests and remove exactly its
-- access; grants made before this migration are read from approved requests whose access
-- the guest still holds, with its end.
-- One `access_reviews` row is one occurrence of a review; a recurring review's next
-- occurrence is a new row pointing at the previous one. Its guests are snapshot into
-- `access_review_items` when it starts, with each reviewer's share in
-- `access_review_links`. Kept in step with the other database's migration.
CREATE TABLE package_grants (
    package_id BLOB NOT NULL REFERENCES access_packages (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_at TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (package_id, user_id)
);
CREATE INDEX package_grants_user ON package_grants (user_id);
INSERT INTO package_grants (package_id, user_id, granted_at, expires_at)
SELECT r.package_id, u.id, MAX(r.updated_at), COALESCE(
    (SELECT MAX(a.expires_at) FROM assignments a JOIN package_apps pa ON pa.app_id = a.app_id
     WHERE pa.package_id = r.package_id AND a.user_id = u.id AND a.source = 'package'),
    (SELECT MAX(m.expires_at) FROM group_members m JOIN package_groups pg ON pg.group_id = m.group_id
     WHERE pg.package_id = r.package_id AND m.user_id = u.id))
FROM signup_requests r
JOIN users u ON u.id = r.user_id OR (r.user_id IS NULL AND LOWER(u.email) = LOWER(r.email))
WHERE r.status = 'approved' AND (
    EXISTS (SELECT 1 FROM assignments a JOIN package_apps pa ON pa.app_id = a.app_id
            WHERE pa.package_id = r.package_id AND a.user_id = u.id AND a.source = 'package')
    OR EXISTS (SELECT 1 FROM group_members m JOIN package_groups pg ON pg.group_id = m.group_id
               WHERE pg.package_id = r.package_id AND m.user_id = u.id))
GROUP BY r.package_id, u.id;

CREATE TABLE access_reviews (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('all', 'inactive', 'package', 'group')),
    -- The package or group of the scope; its name is kept for the history.
    scope_id BLOB,
    scope_name TEXT NOT NULL DEFAULT '',
    reviewers TEXT NOT NULL CHECK (reviewers IN ('sponsors', 'approvers', 'guests')),
    -- Members who review the guests nobody else can (no sponsor, no approver), by address.
    fallback TEXT NOT NULL DEFAULT '',
    duration_days INTEGER NOT NULL,
    recurrence TEXT NOT NULL CHECK (recurrence IN ('once', 'monthly', 'quarterly', 'yearly')),
    undecided TEXT NOT NULL CHECK (undecided IN ('keep', 'remove', 'recommendation')),
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'applied', 'cancelled')),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    applied_at TEXT,
    -- Who stopped it before its end, when someone did.
    stopped_by TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    previous_id BLOB REFERENCES access_reviews (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX access_reviews_status ON access_reviews (status, ends_at);

CREATE TABLE access_review_items (
    review_id BLOB NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    last_sign_in_at TEXT,
    recommendation TEXT NOT NULL CHECK (recommendation IN ('keep', 'remove')),
    decision TEXT CHECK (decision IN ('keep', 'remove')),
    reason TEXT NOT NULL DEFAULT '',
    decided_by BLOB,
    decided_by_label TEXT NOT NULL DEFAULT '',
    decided_at TEXT,
    -- Set when the review is applied: kept, removed, kept_by_default, removed_by_default, gone.
    outcome TEXT,
    PRIMARY KEY (review_id, user_id)
);

CREATE TABLE access_review_reviewers (
    id BLOB PRIMARY KEY NOT NULL,
    review_id BLOB NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    -- Reminders sent: 1 at half time, 2 two days before the end.
    reminded INTEGER NOT NULL DEFAULT 0,
    UNIQUE (review_id, user_id)
);
CREATE INDEX access_review_reviewers_user ON access_review_reviewers (user_id);

CREATE TABLE access_review_links (
    review_id BLOB NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    reviewer_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    PRIMARY KEY (review_id, reviewer_id, user_id)
);
CREATE INDEX access_review_links_guest ON access_review_links (review_id, user_id);
