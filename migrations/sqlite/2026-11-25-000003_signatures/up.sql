-- Signing keys (public parts only), login challenges and signatures
-- (docs/signatures.md). A user's private key never reaches the server.

CREATE TABLE signing_keys (
    -- The key's fingerprint: lower-case hex SHA-256 of its SPKI DER.
    id                TEXT PRIMARY KEY CHECK (length(id) = 64),
    user_id           TEXT NOT NULL REFERENCES users (id),
    form              TEXT NOT NULL CHECK (form IN ('ed25519', 'x509')),
    spki              BLOB NOT NULL,
    certificate       BLOB,
    chain             BLOB,
    subject           TEXT,
    issuer            TEXT,
    serial            TEXT,
    not_before        TIMESTAMP,
    not_after         TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    created_by        TEXT NOT NULL,
    revoked_at        TIMESTAMP,
    revocation_reason TEXT,
    ledger_seq        BIGINT NOT NULL REFERENCES ledger (seq)
);
CREATE INDEX signing_keys_user_idx ON signing_keys (user_id);

-- Statements the server issued, by nonce: a signature must come back over
-- exactly the issued bytes, before it expires, once.
CREATE TABLE challenges (
    nonce       TEXT PRIMARY KEY CHECK (length(nonce) = 64),
    user_id     TEXT NOT NULL REFERENCES users (id),
    key_id      TEXT NOT NULL REFERENCES signing_keys (id),
    purpose     TEXT NOT NULL,
    statement   TEXT NOT NULL,
    issued_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);

CREATE TABLE signatures (
    id          TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    key_id      TEXT NOT NULL REFERENCES signing_keys (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL,
    statement   TEXT NOT NULL,
    signature   BLOB NOT NULL CHECK (length(signature) = 64),
    nonce       TEXT NOT NULL UNIQUE,
    signed_at   TIMESTAMP NOT NULL,
    ledger_seq  BIGINT NOT NULL REFERENCES ledger (seq),
    FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version)
);
CREATE INDEX signatures_version_idx ON signatures (document_id, version);

CREATE TRIGGER signatures_no_update BEFORE UPDATE ON signatures
BEGIN SELECT RAISE(ABORT, 'docflow: UPDATE on signatures is forbidden: the table is append-only'); END;
CREATE TRIGGER signatures_no_delete BEFORE DELETE ON signatures
BEGIN SELECT RAISE(ABORT, 'docflow: DELETE on signatures is forbidden: the table is append-only'); END;
