-- Approval routes on document versions, route templates, decisions, and
-- the organisation's working-day calendar. A route's runtime state (stages,
-- steps, who decided, due times) is the docflow-flow Route as JSON; every
-- change to it is a ledger entry in the same transaction.

CREATE TABLE route_templates (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id),
    ledger_seq  BIGINT NOT NULL REFERENCES ledger (seq),
    UNIQUE (org_id, name)
);

CREATE TABLE routes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    document_id TEXT NOT NULL REFERENCES documents (id),
    version     INTEGER NOT NULL,
    state       TEXT NOT NULL,
    runtime     TEXT NOT NULL,
    started_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    ledger_seq  BIGINT NOT NULL REFERENCES ledger (seq),
    FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version)
);
CREATE INDEX routes_document_idx ON routes (document_id);
CREATE INDEX routes_active_idx ON routes (org_id, state);

CREATE TABLE decisions (
    id             TEXT PRIMARY KEY,
    route_id       TEXT NOT NULL REFERENCES routes (id),
    stage          INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    decision       TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id),
    on_behalf_of   TEXT REFERENCES users (id),
    signature_id   TEXT NOT NULL REFERENCES signatures (id),
    comment        TEXT,
    comment_sha256 TEXT NOT NULL,
    decided_at     TIMESTAMP NOT NULL,
    ledger_seq     BIGINT NOT NULL REFERENCES ledger (seq),
    UNIQUE (route_id, stage, step)
);

CREATE TABLE calendar_days (
    org_id   TEXT NOT NULL REFERENCES organisations (id),
    day      TEXT NOT NULL,
    working  BOOLEAN NOT NULL,
    PRIMARY KEY (org_id, day)
);

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'docflow: UPDATE on decisions is forbidden: the table is append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'docflow: DELETE on decisions is forbidden: the table is append-only'); END;
