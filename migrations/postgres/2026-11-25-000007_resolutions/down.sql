DROP TABLE reports;
DROP TABLE resolutions;
ALTER TABLE users DROP COLUMN department;
