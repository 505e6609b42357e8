-- docflow foundation (SQLite). Same tables and rules as the PostgreSQL
-- migration; see docs/storage.md.

CREATE TABLE ledger (
    seq          BIGINT PRIMARY KEY CHECK (seq >= 1),
    prev_hash    BLOB NOT NULL UNIQUE CHECK (length(prev_hash) = 32),
    hash         BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    recorded_at  TIMESTAMP NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    subject_prev BIGINT NOT NULL,
    body         BLOB NOT NULL
);
CREATE INDEX ledger_subject_idx ON ledger (subject, seq);

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organisations (id),
    login      TEXT NOT NULL UNIQUE,
    full_name  TEXT NOT NULL,
    position   TEXT NOT NULL,
    roles      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_org_idx ON users (org_id);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    label      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size       BIGINT NOT NULL,
    data       BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    -- Unicode lower-case of the title, for case-insensitive search that
    -- behaves the same on both backends (Cyrillic included).
    title_folded   TEXT NOT NULL,
    state          TEXT NOT NULL,
    latest_version INTEGER NOT NULL,
    created_by     TEXT NOT NULL REFERENCES users (id),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX documents_org_idx ON documents (org_id, created_at);

CREATE TABLE document_versions (
    document_id  TEXT NOT NULL REFERENCES documents (id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    sha256       TEXT NOT NULL REFERENCES blobs (sha256),
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    filename     TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    ledger_seq   BIGINT NOT NULL REFERENCES ledger (seq),
    PRIMARY KEY (document_id, version)
);

-- The record is append-only. SQLite has no TRUNCATE: an unqualified DELETE
-- is its truncate, and a DELETE trigger disables that optimisation, so these
-- triggers cover it.
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'docflow: UPDATE on ledger is forbidden: the table is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'docflow: DELETE on ledger is forbidden: the table is append-only'); END;
CREATE TRIGGER versions_no_update BEFORE UPDATE ON document_versions
BEGIN SELECT RAISE(ABORT, 'docflow: UPDATE on document_versions is forbidden: the table is append-only'); END;
CREATE TRIGGER versions_no_delete BEFORE DELETE ON document_versions
BEGIN SELECT RAISE(ABORT, 'docflow: DELETE on document_versions is forbidden: the table is append-only'); END;
CREATE TRIGGER blobs_no_update BEFORE UPDATE ON blobs
BEGIN SELECT RAISE(ABORT, 'docflow: UPDATE on blobs is forbidden: the table is append-only'); END;
CREATE TRIGGER blobs_no_delete BEFORE DELETE ON blobs
BEGIN SELECT RAISE(ABORT, 'docflow: DELETE on blobs is forbidden: the table is append-only'); END;
