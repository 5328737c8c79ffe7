-- TaskRetryMany: "retry now", one task per call (the writer runs it for each id of the batch, in one
-- transaction). Scheduled -> pending now, the attempt count kept; failed (dead) or cancelled ->
-- pending with the attempt count reset to 0, as DeadLetterRedrive does (the attempts history and the
-- last error kept). Either way the task gets a fresh FIFO position. Pending, running, succeeded: no row.

-- name: Scheduled
-- Parameters: $id, $now (ticks), $seq (last sequence handed out). Result: id, queue, type when it moved.
UPDATE tasks SET state = 'pending', scheduled_for = $now, seq = $seq + 1
WHERE id = $id AND state = 'scheduled'
RETURNING id, queue, type;

-- name: Finished
-- Parameters: $id, $now (ticks), $seq. Result: id, queue, type when it moved.
UPDATE tasks SET state = 'pending', attempt = 0, finished_at = NULL, scheduled_for = $now, seq = $seq + 1,
    cancel_requested = 0, lease_token = NULL, worker_id = NULL, lease_deadline = NULL
WHERE id = $id AND state IN ('failed', 'cancelled')
RETURNING id, queue, type;

-- name: State
-- Parameters: $id. Result: the task's state (no row: not found).
SELECT state FROM tasks WHERE id = $id;
