-- Members an admin lets invite guests when Settings allow "admins and inviters" only.
ALTER TABLE users ADD COLUMN is_inviter BOOLEAN NOT NULL DEFAULT FALSE;
