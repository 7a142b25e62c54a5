-- The build queue's leases and fencing (issue 6).
--
-- A builder that claims a build holds a lease and renews it while it works; a build whose
-- lease ran out is failed by the next claim, so a crashed builder never blocks the queue.
-- Each claim takes a fencing number from a sequence: deploy targets and the build's own row
-- accept writes only from the newest claim, so a builder that lost its lease cannot undo the
-- work of the one that replaced it. Every new request is announced on the channel
-- `build_requested`, so a listening builder starts within a second.

CREATE SEQUENCE build_fence_seq;

ALTER TABLE build
    ADD COLUMN fence bigint,
    ADD COLUMN builder text,
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN covered_by uuid REFERENCES build (id) ON DELETE SET NULL,
    ADD COLUMN stats jsonb,
    ADD CONSTRAINT build_started_has_lease
        CHECK (status <> 'STARTED' OR (fence IS NOT NULL AND lease_expires_at IS NOT NULL));

COMMENT ON COLUMN build.fence IS 'Fencing number of the claim that runs (or ran) this build; larger is newer.';
COMMENT ON COLUMN build.lease_expires_at IS 'A STARTED build whose lease has expired is failed by the next claim.';
COMMENT ON COLUMN build.covered_by IS 'For a SUPERSEDED request: the build that included its change.';
COMMENT ON COLUMN build.stats IS 'Figures per stage of a finished build: files, bytes, seconds, uploads and deletes per target.';

CREATE FUNCTION build_requested_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('build_requested', NEW.id::text);
    RETURN NEW;
END;
$$;

CREATE TRIGGER build_requested_notify AFTER INSERT ON build
    FOR EACH ROW WHEN (NEW.status = 'PENDING') EXECUTE FUNCTION build_requested_notify();
