-- MaintenanceRun: background upkeep (promote due, reclaim expired leases, expire old terminal tasks).
-- Each step names its index (INDEXED BY): without statistics the planner would otherwise take the
-- listing index tasks_state_id (migration 3) and walk every task of the state.

-- name: Promote
-- Parameters: $now (ticks), $seq (last sequence handed out). Result: id, queue, type of each promoted task.
WITH due AS (
    SELECT rowid AS r, row_number() OVER (ORDER BY scheduled_for, seq) AS n
    FROM tasks INDEXED BY tasks_scheduled WHERE state = 'scheduled' AND scheduled_for <= $now
)
UPDATE tasks SET state = 'pending', seq = $seq + due.n
FROM due WHERE tasks.rowid = due.r
RETURNING id, queue, type;

-- name: Expired
-- Parameters: $now (ticks). Result: id of each running task whose lease deadline has passed.
SELECT id FROM tasks INDEXED BY tasks_running WHERE state = 'running' AND lease_deadline < $now ORDER BY lease_deadline LIMIT 10000;

-- name: Expire
-- At most 10,000 per run, so one run never holds the writer for long; the next run takes the rest.
-- Parameters: $before (ticks: now - retention). Result: id of each deleted task.
DELETE FROM tasks
WHERE rowid IN (
    SELECT rowid FROM tasks INDEXED BY tasks_finished
    WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < $before
    LIMIT 10000)
RETURNING id;

-- name: KeysExpire
-- Parameters: $before (ticks: now - idempotency window). Result: none.
DELETE FROM idempotency_keys WHERE created_at <= $before;
