-- DeadLetterRedrive: failed (dead) -> pending, attempt reset to 0; the attempts history and the last
-- error are kept. Each redriven task gets a fresh FIFO position (in order of death).
-- Parameters: $id, $queue (each NULL: any), $limit, $now (ticks), $seq (last sequence handed out),
-- $args (new args JSON for the task of $id, or NULL to keep them).
-- Result: id, queue, type of each redriven task.
WITH dead AS (
    SELECT rowid AS r, row_number() OVER (ORDER BY finished_at, seq) AS n
    FROM tasks
    WHERE state = 'failed' AND ($id IS NULL OR id = $id) AND ($queue IS NULL OR queue = $queue)
    ORDER BY finished_at, seq
    LIMIT $limit
)
UPDATE tasks SET state = 'pending', args = coalesce($args, args), attempt = 0, finished_at = NULL, scheduled_for = $now, seq = $seq + dead.n
FROM dead WHERE tasks.rowid = dead.r
RETURNING id, queue, type;
