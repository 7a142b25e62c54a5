ALTER TABLE deploy_file ALTER COLUMN path TYPE text COLLATE "default";
