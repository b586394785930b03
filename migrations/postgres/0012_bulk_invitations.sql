-- Bulk invitations: a checked file (or an API call) becomes a job, its rows stored with the
-- outcome the check gave them. A row to invite stays `done = FALSE` until the worker has
-- invited it; the invitation and the row's new outcome are written in one transaction, so
-- a crash loses no row and invites none twice.
CREATE TABLE bulk_jobs (
    id UUID PRIMARY KEY NOT NULL,
    inviter_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor_kind TEXT NOT NULL,
    actor_id UUID,
    actor_label TEXT NOT NULL,
    actor_ip TEXT NOT NULL,
    file_name TEXT NOT NULL,
    send_mail BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('checked', 'running', 'done')),
    total BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);
CREATE INDEX bulk_jobs_status ON bulk_jobs (status, created_at);

CREATE TABLE bulk_rows (
    job_id UUID NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    message TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    app_ids TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    done BOOLEAN NOT NULL,
    invitation_id UUID,
    PRIMARY KEY (job_id, number)
);
CREATE INDEX bulk_rows_to_do ON bulk_rows (job_id, done, number);
