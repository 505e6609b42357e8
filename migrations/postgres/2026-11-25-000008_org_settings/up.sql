-- Organisation settings for stamped PDFs: the language of stamps and
-- approval sheets (a BCP 47 tag: uz-Cyrl, uz-Latn, ru or en) and the
-- organisation's local time as a UTC offset (+05:00 is Tashkent); both
-- checked by the application.
ALTER TABLE organisations ADD COLUMN stamp_language TEXT NOT NULL DEFAULT 'uz-Cyrl';
ALTER TABLE organisations ADD COLUMN utc_offset TEXT NOT NULL DEFAULT '+05:00';
