-- Migration 3: what the dashboard reads, kept so that reading it costs O(queues) or one index range.
--
-- queue_counts: one row per queue, a column per state, kept exactly right by the triggers below on
-- every insert, delete and state change of a task (enqueue, lease, complete, fail, retry, release,
-- cancel, redrive, purge, maintenance, retention, and any write added later), inside the same
-- transaction. QueueList reads this table instead of counting the tasks.
CREATE TABLE queue_counts (
    queue     TEXT    NOT NULL PRIMARY KEY,
    pending   INTEGER NOT NULL DEFAULT 0,
    scheduled INTEGER NOT NULL DEFAULT 0,
    running   INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO queue_counts (queue, pending, scheduled, running, succeeded, failed, cancelled)
SELECT queue, SUM(state = 'pending'), SUM(state = 'scheduled'), SUM(state = 'running'),
       SUM(state = 'succeeded'), SUM(state = 'failed'), SUM(state = 'cancelled')
FROM tasks GROUP BY queue;

CREATE TRIGGER tasks_counts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO queue_counts (queue, pending, scheduled, running, succeeded, failed, cancelled)
    VALUES (new.queue, new.state = 'pending', new.state = 'scheduled', new.state = 'running',
            new.state = 'succeeded', new.state = 'failed', new.state = 'cancelled')
    ON CONFLICT (queue) DO UPDATE SET
        pending = pending + excluded.pending, scheduled = scheduled + excluded.scheduled,
        running = running + excluded.running, succeeded = succeeded + excluded.succeeded,
        failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled;
END;

CREATE TRIGGER tasks_counts_delete AFTER DELETE ON tasks BEGIN
    UPDATE queue_counts SET
        pending = pending - (old.state = 'pending'), scheduled = scheduled - (old.state = 'scheduled'),
        running = running - (old.state = 'running'), succeeded = succeeded - (old.state = 'succeeded'),
        failed = failed - (old.state = 'failed'), cancelled = cancelled - (old.state = 'cancelled')
    WHERE queue = old.queue;
END;

-- The common case (a state change within a queue): one statement per changed row.
CREATE TRIGGER tasks_counts_update AFTER UPDATE OF state ON tasks
WHEN old.state <> new.state AND old.queue = new.queue BEGIN
    UPDATE queue_counts SET
        pending = pending + (new.state = 'pending') - (old.state = 'pending'),
        scheduled = scheduled + (new.state = 'scheduled') - (old.state = 'scheduled'),
        running = running + (new.state = 'running') - (old.state = 'running'),
        succeeded = succeeded + (new.state = 'succeeded') - (old.state = 'succeeded'),
        failed = failed + (new.state = 'failed') - (old.state = 'failed'),
        cancelled = cancelled + (new.state = 'cancelled') - (old.state = 'cancelled')
    WHERE queue = new.queue;
END;

-- No operation moves a task to another queue today; should one, its counts follow it.
CREATE TRIGGER tasks_counts_move AFTER UPDATE OF queue ON tasks
WHEN old.queue <> new.queue BEGIN
    UPDATE queue_counts SET
        pending = pending - (old.state = 'pending'), scheduled = scheduled - (old.state = 'scheduled'),
        running = running - (old.state = 'running'), succeeded = succeeded - (old.state = 'succeeded'),
        failed = failed - (old.state = 'failed'), cancelled = cancelled - (old.state = 'cancelled')
    WHERE queue = old.queue;
    INSERT INTO queue_counts (queue, pending, scheduled, running, succeeded, failed, cancelled)
    VALUES (new.queue, new.state = 'pending', new.state = 'scheduled', new.state = 'running',
            new.state = 'succeeded', new.state = 'failed', new.state = 'cancelled')
    ON CONFLICT (queue) DO UPDATE SET
        pending = pending + excluded.pending, scheduled = scheduled + excluded.scheduled,
        running = running + excluded.running, succeeded = succeeded + excluded.succeeded,
        failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled;
END;

-- history: succeeded and failed attempts per queue per minute (Unix minutes), added to by the
-- transitions that cause them (TaskCompleteMany, TaskFailMany, MaintenanceRun's lease reclaim), one
-- row write per queue per operation. MaintenanceRun drops minutes older than HistoryListParams.Keep.
-- Keyed by minute first: one queue's window and every queue's window are both one range.
CREATE TABLE history (
    minute    INTEGER NOT NULL,
    queue     TEXT    NOT NULL,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, queue)
) WITHOUT ROWID;

-- The dashboard's listings, newest first (TaskList walks id descending): by state (and dead
-- letters: state 'failed'), by queue and state, by type.
CREATE INDEX tasks_state_id ON tasks (state, id);
CREATE INDEX tasks_queue_state_id ON tasks (queue, state, id);
CREATE INDEX tasks_type_id ON tasks (type, id);
-- QueueList: the oldest pending task of a queue (OldestPendingAt), one index step.
CREATE INDEX tasks_pending_oldest ON tasks (queue, scheduled_for) WHERE state = 'pending';
-- tasks_queue_state_id covers what tasks_queue_state served (dead-letter redrive/purge by queue).
DROP INDEX tasks_queue_state;
