-- QueueList: every queue that has tasks or is paused, with counts by state. The counts are kept by
-- the triggers of migration 3 (queue_counts), so this reads one row per queue, never the tasks.

-- name: Counts
-- Parameters: none. Result: queue, pending, scheduled, running, succeeded, failed, cancelled, expired.
SELECT queue, pending, scheduled, running, succeeded, failed, cancelled, expired FROM queue_counts;

-- name: Paused
-- Parameters: none. Result: name of each paused queue.
SELECT name FROM queues WHERE paused = 1;

-- name: OldestPending
-- Parameters: $queue. Result: scheduled_for (ticks) of the queue's oldest pending task, or no row
-- (one step of index tasks_pending_oldest).
SELECT scheduled_for FROM tasks WHERE queue = $queue AND state = 'pending' ORDER BY scheduled_for LIMIT 1;
