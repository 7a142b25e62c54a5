-- A deploy reads a target's files in path order beside the built site, which it walks in
-- byte order. Byte order ("C") for the column makes the primary key's index give exactly that
-- order, whatever the database's default collation.
ALTER TABLE deploy_file ALTER COLUMN path TYPE text COLLATE "C";
