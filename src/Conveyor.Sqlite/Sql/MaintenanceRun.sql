-- MaintenanceRun: background upkeep (promote due, reclaim expired leases, retention of terminal tasks).
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

-- name: KeysExpire
-- Parameters: $before (ticks: now - idempotency window). Result: none.
DELETE FROM idempotency_keys WHERE created_at <= $before;

-- The retention step (issue 11 item 7), one (queue, state) at a time, along the
-- tasks_retention index (migration 8): oldest finish first.

-- name: RetentionQueues
-- Result: queue, succeeded, failed, cancelled, expired (the kept counts, migrations 3 and 17) of each queue with terminal tasks.
SELECT queue, succeeded, failed, cancelled, expired FROM queue_counts WHERE succeeded + failed + cancelled + expired > 0;

-- name: RetentionByAge
-- Parameters: $queue, $state, $before (ticks: now - max age), $limit. Result: id of each deleted task.
DELETE FROM tasks
WHERE rowid IN (
    SELECT rowid FROM tasks INDEXED BY tasks_retention
    WHERE queue = $queue AND state = $state AND state IN ('succeeded', 'failed', 'cancelled', 'expired') AND finished_at < $before
    ORDER BY finished_at LIMIT $limit)
RETURNING id;

-- name: RetentionByCount
-- Parameters: $queue, $state, $limit (how many of the oldest to delete). Result: id of each deleted task.
DELETE FROM tasks
WHERE rowid IN (
    SELECT rowid FROM tasks INDEXED BY tasks_retention
    WHERE queue = $queue AND state = $state AND state IN ('succeeded', 'failed', 'cancelled', 'expired')
    ORDER BY finished_at LIMIT $limit)
RETURNING id;

-- expiry: (issue 14 item 4) the pending and scheduled tasks past their expires_at that no lease
-- looked at (a queue nobody leases), every queue at once, oldest expiry first.
-- name: ExpireDue
-- Parameters: $now (ticks). Result: rowid, id, queue, type, expires_at of each task to end expired.
SELECT rowid, id, queue, type, expires_at FROM tasks INDEXED BY tasks_expiring
WHERE expires_at IS NOT NULL AND state IN ('pending', 'scheduled') AND expires_at <= $now
ORDER BY expires_at LIMIT 10000;
