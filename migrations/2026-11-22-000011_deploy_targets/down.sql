DROP TABLE deploy_file;
DROP TABLE deploy_target;
