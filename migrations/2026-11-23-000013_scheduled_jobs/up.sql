-- Scheduled jobs, build alerts and scheduled publishing (issue 7).
--
-- Jobs run in the site builder's worker; more than one worker may run, so each job run takes
-- an advisory lock and records itself here: the table shows operators when each job last ran
-- and how it ended, and the health check reads it.

CREATE TABLE scheduled_job (
    name text PRIMARY KEY,
    last_started_at timestamptz,
    last_finished_at timestamptz,
    last_outcome text CHECK (last_outcome IN ('OK', 'FAILED')),
    last_detail text
);

COMMENT ON TABLE scheduled_job IS 'The last run of each scheduled job, whichever worker ran it.';

-- A failed (or stalled) build is reported to every developer until someone acknowledges it;
-- alerted_at says when the last report went, so reports repeat on a fixed interval whichever
-- worker sends them.
ALTER TABLE build
    ADD COLUMN alerted_at timestamptz,
    ADD COLUMN alerts_sent integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN build.alerted_at IS 'When the last failure report for this build was sent.';

-- An approved-for-publishing time: a version in department review with a time set is
-- published by the scheduler, as the person who set it, within a minute of that time.
ALTER TABLE measure_version
    ADD COLUMN publish_scheduled_at timestamptz,
    ADD COLUMN publish_scheduled_by text,
    ADD CONSTRAINT measure_version_schedule_in_review CHECK (
        (publish_scheduled_at IS NULL AND publish_scheduled_by IS NULL)
        OR (status = 'DEPARTMENT_REVIEW' AND publish_scheduled_at IS NOT NULL
            AND publish_scheduled_by IS NOT NULL)
    );

CREATE INDEX measure_version_publish_due ON measure_version (publish_scheduled_at)
    WHERE publish_scheduled_at IS NOT NULL;
