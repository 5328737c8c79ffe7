-- Migration 4: TaskList's idempotency-key search reads an index; the bulk-action audit log (BulkActionRecord).

CREATE INDEX tasks_idempotency_key ON tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE bulk_actions (
    id        TEXT    NOT NULL PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    filter    TEXT,
    ids_count INTEGER NOT NULL,
    matched   INTEGER NOT NULL,
    changed   INTEGER NOT NULL
) WITHOUT ROWID;
