-- The static-site build queue and the redirect table.

CREATE TABLE build (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'PENDING' CONSTRAINT build_status_known
        CHECK (status IN ('PENDING', 'STARTED', 'DONE', 'SUPERSEDED', 'FAILED')),
    requested_by text NOT NULL,
    reason text NOT NULL,
    started_at timestamptz,
    succeeded_at timestamptz,
    failed_at timestamptz,
    failure_reason text,
    acknowledged_at timestamptz,
    acknowledged_by text
);
-- The database, not the builder, guarantees that at most one build runs at a time.
CREATE UNIQUE INDEX build_at_most_one_started ON build ((true)) WHERE status = 'STARTED';
CREATE INDEX build_pending_created_at_idx ON build (created_at) WHERE status = 'PENDING';
COMMENT ON COLUMN build.requested_by IS 'Email of the user, or the name of the job, that asked for the build.';
COMMENT ON COLUMN build.reason IS 'What changed, e.g. "published measure 12 version 1.1".';

CREATE TABLE redirect (
    from_uri text PRIMARY KEY,
    to_uri text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT redirect_not_to_itself CHECK (from_uri <> to_uri)
);
