-- Substitutions (замещение): a user names a substitute for a period,
-- optionally for some document kinds only. The substitute decides with
-- their own key, on the user's behalf.

CREATE TABLE substitutions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    substitute_id TEXT NOT NULL REFERENCES users (id),
    starts_at     TIMESTAMP NOT NULL,
    ends_at       TIMESTAMP NOT NULL,
    kinds         TEXT,
    created_at    TIMESTAMP NOT NULL,
    created_by    TEXT NOT NULL,
    revoked_at    TIMESTAMP,
    ledger_seq    BIGINT NOT NULL REFERENCES ledger (seq),
    CHECK (ends_at > starts_at)
);
CREATE INDEX substitutions_substitute_idx ON substitutions (substitute_id);
CREATE INDEX substitutions_user_idx ON substitutions (user_id);
