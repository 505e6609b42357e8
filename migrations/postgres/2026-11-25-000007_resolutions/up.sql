-- Resolutions (резолюции) and control of execution. A resolution's state
-- (assignments, reports, extensions) is the docflow-flow Resolution as
-- JSON; every signed action on it is a signature and a ledger entry in the
-- same transaction. Users gain a department for execution reports.

ALTER TABLE users ADD COLUMN department TEXT;

CREATE TABLE resolutions (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    document_id     TEXT NOT NULL REFERENCES documents (id),
    parent_id       TEXT REFERENCES resolutions (id),
    parent_executor TEXT REFERENCES users (id),
    state           TEXT NOT NULL,
    runtime         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    ledger_seq      BIGINT NOT NULL REFERENCES ledger (seq)
);
CREATE INDEX resolutions_document_idx ON resolutions (document_id);
CREATE INDEX resolutions_org_idx ON resolutions (org_id, state);

CREATE TABLE reports (
    id            TEXT PRIMARY KEY,
    resolution_id TEXT NOT NULL REFERENCES resolutions (id),
    executor_id   TEXT NOT NULL REFERENCES users (id),
    body          TEXT NOT NULL,
    attachments   TEXT NOT NULL,
    submitted_at  TIMESTAMP NOT NULL,
    ledger_seq    BIGINT NOT NULL REFERENCES ledger (seq)
);
CREATE INDEX reports_resolution_idx ON reports (resolution_id);
