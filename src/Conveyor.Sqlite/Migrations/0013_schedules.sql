-- Migration 13: recurring tasks (issue 14 item 1).
--
-- schedules: one row per schedule. definition is the normalized ScheduleDefinition as JSON (without
-- its paused flag, which is the column); next_run_at is the next tick to submit (NULL: paused, or no
-- tick ever again). ScheduleClaim moves next_run_at by compare-and-set in the same transaction that
-- enqueues the tick's task, so many processes ticking at once submit each tick once.
CREATE TABLE schedules (
    name         TEXT    NOT NULL PRIMARY KEY,
    definition   TEXT    NOT NULL,
    paused       INTEGER NOT NULL DEFAULT 0,
    next_run_at  INTEGER NULL,
    last_run_at  INTEGER NULL,
    last_task_id TEXT    NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- ScheduleDue: the due, unpaused schedules in next-run order.
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE paused = 0 AND next_run_at IS NOT NULL;
