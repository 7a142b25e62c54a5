DROP INDEX measure_version_publish_due;
ALTER TABLE measure_version
    DROP CONSTRAINT measure_version_schedule_in_review,
    DROP COLUMN publish_scheduled_by,
    DROP COLUMN publish_scheduled_at;
ALTER TABLE build DROP COLUMN alerts_sent, DROP COLUMN alerted_at;
DROP TABLE scheduled_job;
