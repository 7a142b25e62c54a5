-- The deploy targets of the site build (S3 primary and mirror, the git history, ...) and the
-- manifest of what each one holds, so a deploy sends only what changed (almanac-deploy).

CREATE TABLE deploy_target (
    name text PRIMARY KEY CONSTRAINT deploy_target_name_valid CHECK (name ~ '^[a-z0-9][a-z0-9_.-]*$'),
    -- The highest fencing number of a builder that has written this target's manifest. A
    -- builder with a lower one has been superseded, and its writes are refused.
    fencing bigint NOT NULL DEFAULT 0,
    build_id uuid,
    git_commit text CONSTRAINT deploy_target_git_commit_hex CHECK (git_commit ~ '^[0-9a-f]{40,64}$'),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE deploy_target IS 'One row per deploy target: who wrote its manifest last and what build it holds.';
COMMENT ON COLUMN deploy_target.fencing IS 'Highest fencing number seen; writes with a lower one are refused.';
COMMENT ON COLUMN deploy_target.build_id IS 'The build whose output the target holds (not a foreign key: builds may be purged).';
COMMENT ON COLUMN deploy_target.git_commit IS 'The history commit of that output, when there is one.';

CREATE TABLE deploy_file (
    target text NOT NULL CONSTRAINT deploy_file_target_fkey
        REFERENCES deploy_target (name) ON DELETE CASCADE,
    path text NOT NULL CONSTRAINT deploy_file_path_not_empty CHECK (path <> ''),
    sha256 text NOT NULL CONSTRAINT deploy_file_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL CONSTRAINT deploy_file_size_not_negative CHECK (size >= 0),
    content_type text NOT NULL,
    cache_control text NOT NULL,
    -- Set before a deploy touches the file and cleared when the deploy is recorded: a pending
    -- file may or may not be in the target as described, so the next deploy sends it again
    -- (or deletes it) whatever its hash says.
    pending boolean NOT NULL DEFAULT false,
    CONSTRAINT deploy_file_pkey PRIMARY KEY (target, path)
);
COMMENT ON TABLE deploy_file IS 'The manifest of each deploy target: one row per file it holds.';
COMMENT ON COLUMN deploy_file.pending IS 'A deploy started changing this file and has not recorded the result.';
