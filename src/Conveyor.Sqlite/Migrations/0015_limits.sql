-- Migration 15: flow control (issue 14 items 3 and 6): unique while active, and rate and
-- concurrency limits enforced at lease time (Ops/LimitOps.cs, Sql/QueueLimit*.sql, Sql/TaskLease.sql).

-- Unique while active: the task holding a queue's unique key. A holder that is no longer pending,
-- scheduled or running does not count (TaskEnqueueMany checks its state); the row goes with its task.
ALTER TABLE tasks ADD COLUMN unique_key TEXT;
CREATE TABLE unique_keys (
    queue   TEXT NOT NULL,
    key     TEXT NOT NULL,
    task_id TEXT NOT NULL,
    PRIMARY KEY (queue, key)
) WITHOUT ROWID;
CREATE TRIGGER unique_keys_forget AFTER DELETE ON tasks WHEN OLD.unique_key IS NOT NULL BEGIN
    DELETE FROM unique_keys WHERE queue = OLD.queue AND key = OLD.unique_key AND task_id = OLD.id;
END;

-- The limits of each queue (QueueLimitSet): definition is the QueueLimit as JSON.
CREATE TABLE queue_limits (
    queue      TEXT NOT NULL,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (queue, name)
) WITHOUT ROWID;

-- Usage per limit and key value ("" for a queue-wide limit): tasks running that the limit counts,
-- the current rate window (start ticks, starts in it), and when parked tasks wait for it to reopen.
CREATE TABLE limit_usage (
    queue        TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    running      INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER NOT NULL DEFAULT 0,
    window_count INTEGER NOT NULL DEFAULT 0,
    reopen_at    INTEGER,
    PRIMARY KEY (queue, name, key)
) WITHOUT ROWID;

-- A parked task: pending, over a limit. limit_wait is "<limit name> x'1f' <key value>", the slot it
-- waits for; NULL for every task in line. limit_held is, while a task runs, the JSON array of the
-- "<name> x'1f' <key>" slots its attempt counts in (NULL when no limit counts it).
ALTER TABLE tasks ADD COLUMN limit_wait TEXT;
ALTER TABLE tasks ADD COLUMN limit_held TEXT;

-- The lease's line leaves parked tasks out, so a lease never walks them: the same index as before
-- for a queue without limits (limit_wait is always NULL there).
DROP INDEX tasks_pending;
CREATE INDEX tasks_pending ON tasks (queue, priority DESC, seq) WHERE state = 'pending' AND limit_wait IS NULL;
CREATE INDEX tasks_parked ON tasks (queue, limit_wait, priority DESC, seq) WHERE state = 'pending' AND limit_wait IS NOT NULL;

-- A task that leaves running gives back the slots it held, and one parked task per slot goes back
-- in line (its FIFO place is kept: seq does not change). The wake-up of the queue's blocked leasers
-- is a TEMP trigger of the writer connection (WriteContext.HookLimits): it calls a function of the
-- process, which a schema trigger must not (every connection that writes would need it).
CREATE TRIGGER limits_release AFTER UPDATE OF state ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL BEGIN
    UPDATE limit_usage SET running = max(running - 1, 0)
    WHERE queue = OLD.queue AND name || x'1f' || key IN (SELECT value FROM json_each(OLD.limit_held));
    UPDATE tasks SET limit_wait = NULL WHERE rowid IN (
        SELECT (SELECT p.rowid FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait = j.value
                ORDER BY p.priority DESC, p.seq LIMIT 1)
        FROM json_each(OLD.limit_held) j);
    UPDATE tasks SET limit_held = NULL WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER limits_release_deleted AFTER DELETE ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL BEGIN
    UPDATE limit_usage SET running = max(running - 1, 0)
    WHERE queue = OLD.queue AND name || x'1f' || key IN (SELECT value FROM json_each(OLD.limit_held));
    UPDATE tasks SET limit_wait = NULL WHERE rowid IN (
        SELECT (SELECT p.rowid FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait = j.value
                ORDER BY p.priority DESC, p.seq LIMIT 1)
        FROM json_each(OLD.limit_held) j);
END;
