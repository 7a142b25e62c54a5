-- Where a dimension's figures are about ("England", "London boroughs"), shown in its
-- metadata. Empty means the version's area covered, as in the model.
ALTER TABLE dimension ADD COLUMN location text;
COMMENT ON COLUMN dimension.location IS 'Where the figures are about; NULL shows the version''s area covered.';
