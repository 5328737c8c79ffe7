-- TaskLease: lease up to $limit ready tasks of ONE queue; the store calls it queue by queue, in the
-- caller's order of preference, inside one transaction of the single writer.

-- name: Paused
-- Parameters: $queue. Result: one row when the queue is paused. (Lease checks it itself; this one is
-- for the idle path, which must not wait on a paused queue's due times.)
SELECT 1 FROM queues WHERE name = $queue AND paused = 1;

-- name: Promote
-- Due scheduled tasks become pending, each with a fresh FIFO position (in due order).
-- Parameters: $queue, $now (ticks), $seq (last sequence handed out). Result: id, queue, type, seq of each promoted task.
WITH due AS (
    SELECT rowid AS r, row_number() OVER (ORDER BY scheduled_for, seq) AS n
    FROM tasks WHERE state = 'scheduled' AND queue = $queue AND scheduled_for <= $now
)
UPDATE tasks SET state = 'pending', seq = $seq + due.n
FROM due WHERE tasks.rowid = due.r
RETURNING id, queue, type, seq;

-- name: Lease
-- Priority 9 first, FIFO (seq) within a priority, nothing from a paused queue. A fresh random fencing token per lease.
-- Parameters: $queue, $limit, $worker, $now (ticks), $now_text (ISO time for the history), $deadline (ticks).
-- Result: the leased rows (RETURNING order is unspecified: the store sorts by priority DESC, seq).
UPDATE tasks SET
    state = 'running',
    attempt = attempt + 1,
    worker_id = $worker,
    lease_token = lower(hex(randomblob(16))),
    lease_deadline = $deadline,
    started_at = $now,
    progress = NULL,
    cancel_requested = 0,
    attempts = json_insert(attempts, '$[#]',
        json_object('number', attempt + 1, 'worker_id', $worker, 'started_at', $now_text, 'outcome', 'running'))
WHERE rowid IN (
    SELECT rowid FROM tasks WHERE state = 'pending' AND queue = $queue
        AND NOT EXISTS (SELECT 1 FROM queues WHERE name = $queue AND paused = 1)
    ORDER BY priority DESC, seq LIMIT $limit)
RETURNING *;

-- name: NextDue
-- Parameters: $queue. Result: the earliest scheduled_for (ticks) of the queue's scheduled tasks, or NULL.
SELECT MIN(scheduled_for) FROM tasks WHERE state = 'scheduled' AND queue = $queue;
