-- Login challenges answered for a login that does not exist or has no
-- usable key (docs/signatures.md, "Login by key"). They are stored like real
-- ones, so POST /auth/challenge does the same work for every login, and
-- POST /auth/token refuses them as it refuses a bad signature. Nothing
-- refers to them; they are pruned a day after they expire.
CREATE TABLE login_decoys (
    nonce       TEXT PRIMARY KEY CHECK (length(nonce) = 64),
    login       TEXT NOT NULL,
    key_id      TEXT NOT NULL CHECK (length(key_id) = 64),
    statement   TEXT NOT NULL,
    issued_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX login_decoys_expires_at ON login_decoys (expires_at);
