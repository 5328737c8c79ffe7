-- Migration 17: expiry (issue 14 item 4). A task not started by its expires_at ends in the terminal
-- state 'expired' and never runs.
--
-- expires_at: ticks, NULL for a task that never expires (the common case: nothing below costs it
-- anything, the two indexes are partial on expires_at IS NOT NULL).
ALTER TABLE tasks ADD COLUMN expires_at INTEGER NULL;
-- TaskLease.Expire: the expired tasks of the queue being leased, checked inside the lease transaction.
CREATE INDEX tasks_expiring_queue ON tasks (queue, expires_at) WHERE expires_at IS NOT NULL AND state IN ('pending', 'scheduled');
-- MaintenanceRun.ExpireDue: the expired tasks nobody leases, every queue at once.
CREATE INDEX tasks_expiring ON tasks (expires_at) WHERE expires_at IS NOT NULL AND state IN ('pending', 'scheduled');

-- Retention covers the new terminal state: the index of migration 8 with 'expired' added.
DROP INDEX tasks_retention;
CREATE INDEX tasks_retention ON tasks (queue, state, finished_at) WHERE state IN ('succeeded', 'failed', 'cancelled', 'expired');

-- queue_counts (migration 3) gets a column for the new state, and its triggers count it.
ALTER TABLE queue_counts ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER tasks_counts_insert;
DROP TRIGGER tasks_counts_delete;
DROP TRIGGER tasks_counts_update;
DROP TRIGGER tasks_counts_move;

CREATE TRIGGER tasks_counts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO queue_counts (queue, pending, scheduled, running, succeeded, failed, cancelled, expired)
    VALUES (new.queue, new.state = 'pending', new.state = 'scheduled', new.state = 'running',
            new.state = 'succeeded', new.state = 'failed', new.state = 'cancelled', new.state = 'expired')
    ON CONFLICT (queue) DO UPDATE SET
        pending = pending + excluded.pending, scheduled = scheduled + excluded.scheduled,
        running = running + excluded.running, succeeded = succeeded + excluded.succeeded,
        failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled,
        expired = expired + excluded.expired;
END;

CREATE TRIGGER tasks_counts_delete AFTER DELETE ON tasks BEGIN
    UPDATE queue_counts SET
        pending = pending - (old.state = 'pending'), scheduled = scheduled - (old.state = 'scheduled'),
        running = running - (old.state = 'running'), succeeded = succeeded - (old.state = 'succeeded'),
        failed = failed - (old.state = 'failed'), cancelled = cancelled - (old.state = 'cancelled'),
        expired = expired - (old.state = 'expired')
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
        cancelled = cancelled + (new.state = 'cancelled') - (old.state = 'cancelled'),
        expired = expired + (new.state = 'expired') - (old.state = 'expired')
    WHERE queue = new.queue;
END;

-- No operation moves a task to another queue today; should one, its counts follow it.
CREATE TRIGGER tasks_counts_move AFTER UPDATE OF queue ON tasks
WHEN old.queue <> new.queue BEGIN
    UPDATE queue_counts SET
        pending = pending - (old.state = 'pending'), scheduled = scheduled - (old.state = 'scheduled'),
        running = running - (old.state = 'running'), succeeded = succeeded - (old.state = 'succeeded'),
        failed = failed - (old.state = 'failed'), cancelled = cancelled - (old.state = 'cancelled'),
        expired = expired - (old.state = 'expired')
    WHERE queue = old.queue;
    INSERT INTO queue_counts (queue, pending, scheduled, running, succeeded, failed, cancelled, expired)
    VALUES (new.queue, new.state = 'pending', new.state = 'scheduled', new.state = 'running',
            new.state = 'succeeded', new.state = 'failed', new.state = 'cancelled', new.state = 'expired')
    ON CONFLICT (queue) DO UPDATE SET
        pending = pending + excluded.pending, scheduled = scheduled + excluded.scheduled,
        running = running + excluded.running, succeeded = succeeded + excluded.succeeded,
        failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled,
        expired = expired + excluded.expired;
END;
