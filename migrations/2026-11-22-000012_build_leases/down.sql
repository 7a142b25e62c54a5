DROP TRIGGER build_requested_notify ON build;
DROP FUNCTION build_requested_notify();
ALTER TABLE build
    DROP CONSTRAINT build_started_has_lease,
    DROP COLUMN stats,
    DROP COLUMN covered_by,
    DROP COLUMN lease_expires_at,
    DROP COLUMN builder,
    DROP COLUMN fence;
DROP SEQUENCE build_fence_seq;
