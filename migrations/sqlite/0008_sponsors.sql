-- Sponsors look after their guests (issue 13): when the sponsors were told that a guest's
-- access is about to end, so the reminder goes once per expiry date.
ALTER TABLE users ADD COLUMN expiry_notice_at TEXT;
CREATE INDEX user_sponsors_sponsor ON user_sponsors (sponsor_id);
