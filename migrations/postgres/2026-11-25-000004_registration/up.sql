-- Registration journals (журналы регистрации) and registrations: numbers
-- unique and gapless per journal and year (assigned under the ledger's
-- write lock, so concurrent registrations never skip or repeat).

CREATE TABLE journals (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kinds       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    ledger_seq  BIGINT NOT NULL REFERENCES ledger (seq),
    UNIQUE (org_id, code)
);

CREATE TABLE journal_counters (
    journal_id  TEXT NOT NULL REFERENCES journals (id),
    year        INTEGER NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (journal_id, year)
);

CREATE TABLE registrations (
    document_id          TEXT PRIMARY KEY REFERENCES documents (id),
    journal_id           TEXT NOT NULL REFERENCES journals (id),
    year                 INTEGER NOT NULL,
    number               BIGINT NOT NULL,
    reg_number           TEXT NOT NULL,
    registered_at        TIMESTAMP NOT NULL,
    registered_by        TEXT NOT NULL REFERENCES users (id),
    correspondent        TEXT,
    correspondent_number TEXT,
    correspondent_date   TEXT,
    ledger_seq           BIGINT NOT NULL REFERENCES ledger (seq),
    UNIQUE (journal_id, year, number)
);
