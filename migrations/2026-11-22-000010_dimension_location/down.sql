ALTER TABLE dimension DROP COLUMN location;
