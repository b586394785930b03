-- The language a person reads the portal and its mail in (a tag: en, de, fr, es; empty:
-- not chosen, so the browser's or the organization's), and the language an inviter chose
-- for an invitation, which becomes the guest's when they redeem it.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE invitations ADD COLUMN language TEXT NOT NULL DEFAULT '';
