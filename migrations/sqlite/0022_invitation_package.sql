-- Issue 26: an inviter may offer one of the published access packages with an invitation.
-- On redemption the guest asks for it in their own name (granted at once or sent to its
-- approvers, as the package says). A deleted package leaves the invitation without one.
-- Kept in step with the other database's migration.
ALTER TABLE invitations ADD COLUMN package_id BLOB REFERENCES access_packages (id) ON DELETE SET NULL;
