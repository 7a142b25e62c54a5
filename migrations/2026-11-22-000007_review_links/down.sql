DROP INDEX measure_version_review_token_key;
ALTER TABLE measure_version
    DROP CONSTRAINT measure_version_review_token_expiry,
    DROP COLUMN review_token_expires_at;
