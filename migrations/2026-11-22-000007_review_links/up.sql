-- Review links: a departmental reviewer without an account opens /review/<token>. The token
-- is kept (not hashed) so that the edit page can show the link again; it grants read access
-- to one version only, until it expires or is replaced.
ALTER TABLE measure_version
    ADD COLUMN review_token_expires_at timestamptz,
    ADD CONSTRAINT measure_version_review_token_expiry
        CHECK ((review_token IS NULL) = (review_token_expires_at IS NULL));
CREATE UNIQUE INDEX measure_version_review_token_key ON measure_version (review_token) WHERE review_token IS NOT NULL;
COMMENT ON COLUMN measure_version.review_token_expires_at IS 'When the review link stops working; a new link replaces the token and so revokes the old one.';
