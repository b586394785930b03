-- A bulk row keeps the invitation as it was given (`domain::invite::InviteFields`, as
-- JSON), so a new field of an invitation needs no new column here. `email` and
-- `display_name` stay for the job's page and result file; `message`, `redirect_url` and
-- `app_ids` are written empty from now on. Kept in step with the PostgreSQL migration.
ALTER TABLE bulk_rows ADD COLUMN input TEXT NOT NULL DEFAULT '';
UPDATE bulk_rows SET input = json_object(
    'email', email,
    'display_name', display_name,
    'redirect_url', redirect_url,
    'message', message,
    'app_ids', CASE WHEN trim(app_ids) = '' THEN json('[]')
                    ELSE json('["' || replace(trim(app_ids), ' ', '","') || '"]') END,
    'send_email', json('false')
);
