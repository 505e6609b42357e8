-- The transparency log over the ledger (docs/transparency.md). Same tables
-- and rules as the PostgreSQL migration.

CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE checkpoints (
    tree_size  BIGINT PRIMARY KEY CHECK (tree_size >= 1),
    root       BLOB NOT NULL CHECK (length(root) = 32),
    note       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE log_keys (
    verifier   TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);

CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
BEGIN SELECT RAISE(ABORT, 'docflow: UPDATE on merkle_nodes is forbidden: the table is append-only'); END;
CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
BEGIN SELECT RAISE(ABORT, 'docflow: DELETE on merkle_nodes is forbidden: the table is append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'docflow: UPDATE on checkpoints is forbidden: the table is append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'docflow: DELETE on checkpoints is forbidden: the table is append-only'); END;
