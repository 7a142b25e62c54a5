DROP TABLE redirect;
DROP TABLE build;
