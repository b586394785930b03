-- Issue 26: an app's client secret has an end date, and a new one can be made while the
-- previous one keeps working for a while (rotation without downtime, as Entra's two
-- secrets). NULL end dates never end: secrets made before this migration, and those of
-- apps declared in the configuration file. Kept in step with the other database's migration.
ALTER TABLE apps ADD COLUMN client_secret_expires_at TEXT;
ALTER TABLE apps ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE apps ADD COLUMN previous_secret_expires_at TEXT;
