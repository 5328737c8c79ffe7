-- Migration 1: the initial schema.
-- Times are INTEGER .NET ticks (UTC, 100 ns) so records round-trip exactly; JSON columns hold text
-- written with ConveyorJson.Options. `seq` is the FIFO order: a counter (meta 'seq') handed out when
-- a task becomes ready (enqueue, promotion of a due task, redrive); never the id.

CREATE TABLE tasks (
    id              TEXT    NOT NULL UNIQUE,
    seq             INTEGER NOT NULL,
    type            TEXT    NOT NULL,
    queue           TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    priority        INTEGER NOT NULL,
    args            TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    max_attempts    INTEGER NOT NULL,
    backoff         TEXT    NOT NULL,
    timeout         INTEGER NOT NULL,
    idempotency_key TEXT,
    metadata        TEXT,
    result          TEXT,
    error           TEXT,
    progress        TEXT,
    attempts        TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    scheduled_for   INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER,
    worker_id       TEXT,
    lease_token     TEXT,
    lease_deadline  INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);

-- TaskLease: the next ready tasks of one queue, priority 9 first, FIFO within a priority.
CREATE INDEX tasks_pending ON tasks (queue, priority DESC, seq) WHERE state = 'pending';
-- Promotion of due tasks and the lease wake-up timer.
CREATE INDEX tasks_scheduled ON tasks (queue, scheduled_for) WHERE state = 'scheduled';
-- MaintenanceRun: expired leases.
CREATE INDEX tasks_running ON tasks (lease_deadline) WHERE state = 'running';
-- MaintenanceRun: retention of terminal tasks.
CREATE INDEX tasks_finished ON tasks (finished_at) WHERE state IN ('succeeded', 'failed', 'cancelled');
-- QueueList counts and dead-letter operations.
CREATE INDEX tasks_queue_state ON tasks (queue, state);

CREATE TABLE idempotency_keys (
    queue      TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    task_id    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (queue, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE queues (
    name   TEXT    NOT NULL PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE workers (
    id             TEXT    NOT NULL PRIMARY KEY,
    last_heartbeat INTEGER NOT NULL,
    info           TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('seq', 0);
