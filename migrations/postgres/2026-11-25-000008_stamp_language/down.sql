ALTER TABLE organisations DROP COLUMN stamp_language;
