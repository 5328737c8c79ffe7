-- Migration 23: an acknowledgement gives its limit slots back once per slot, not once per task
-- (issue 14: an unhit limit's cost on SQLite). TaskCompleteMany, the one statement that makes a task
-- succeeded, returns each task's limit_held and gives the slots back itself, one usage UPDATE per
-- distinct slot of the batch (Ops/LimitGiveBack.cs), in the same writer transaction as the completion,
-- so every process that opens the file keeps the counts right. The triggers of migration 22 keep
-- every other exit from running (fail, release, cancel, lease expiry, delete, a statement of any
-- other tool) as it was, and now leave succeeded alone. A succeeded task keeps its limit_held: it
-- never runs again (no path takes a succeeded task back to pending), and a trigger here only looks
-- at a row that was running. And an index for the rate windows to reopen (at the end).
DROP TRIGGER limits_release;
DROP TRIGGER limits_unpark;
CREATE TRIGGER limits_release AFTER UPDATE OF state ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL AND NEW.state <> 'succeeded' BEGIN
    UPDATE limit_usage SET running = max(running - 1, 0)
    WHERE (queue, name, key) IN (SELECT OLD.queue, substr(value, 1, instr(value, x'1f') - 1), substr(value, instr(value, x'1f') + 1)
                                 FROM json_each(OLD.limit_held));
    UPDATE tasks SET limit_held = NULL WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER limits_unpark AFTER UPDATE OF state ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL AND NEW.state <> 'succeeded'
    AND EXISTS (SELECT 1 FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait IS NOT NULL) BEGIN
    UPDATE tasks SET limit_wait = NULL WHERE rowid IN (
        SELECT (SELECT p.rowid FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait = j.value
                ORDER BY p.priority DESC, p.seq LIMIT 1)
        FROM json_each(OLD.limit_held) j);
END;

-- The rate windows a lease reopens (TaskLease.Reopened, NextReopen) found by an index instead of a
-- walk of every usage row of the queue, one per key value: a per-tenant limit has a row per tenant.
CREATE INDEX limit_usage_reopen ON limit_usage (queue, reopen_at) WHERE reopen_at IS NOT NULL;

-- A lease looks for windows to reopen only in a queue with a rate limit (LimitOps.Pick), and setting a
-- limit without a rate forgets its reopen times (QueueLimitSet.ReopenForget); the ones a file holds
-- from a limit that has lost its rate, or no longer exists, go now.
UPDATE limit_usage SET reopen_at = NULL
WHERE reopen_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM queue_limits l WHERE l.queue = limit_usage.queue AND l.name = limit_usage.name AND l.definition ->> '$.rate' IS NOT NULL);
