-- Issue 26 (18): images admins upload — an app's icon and the organization's logo — kept
-- in the database, so every instance serves them and a backup holds them. A new upload is
-- a new row (a new address), so browsers may keep an image for good. The logo's row is
-- named by the `logo_image` setting. Kept in step with the other database's migration.
CREATE TABLE images (
    id BLOB PRIMARY KEY NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    bytes BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE apps ADD COLUMN icon_image_id BLOB REFERENCES images (id) ON DELETE SET NULL;
