-- The transparency log over the ledger (docs/transparency.md): every
-- complete aligned subtree's hash, the signed checkpoints, and the log's
-- public key.

CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE checkpoints (
    tree_size  BIGINT PRIMARY KEY CHECK (tree_size >= 1),
    root       BYTEA NOT NULL CHECK (length(root) = 32),
    note       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE log_keys (
    verifier   TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);

CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION docflow_refuse_change();
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION docflow_refuse_change();
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION docflow_refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION docflow_refuse_change();
