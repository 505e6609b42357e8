-- The language of an organisation's stamps and approval sheets (a BCP 47
-- tag: uz-Cyrl, uz-Latn, ru or en; checked by the application).
ALTER TABLE organisations ADD COLUMN stamp_language TEXT NOT NULL DEFAULT 'uz-Cyrl';
