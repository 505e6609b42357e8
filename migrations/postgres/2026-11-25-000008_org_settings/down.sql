ALTER TABLE organisations DROP COLUMN utc_offset;
ALTER TABLE organisations DROP COLUMN stamp_language;
