-- DeadLetterGroups: dead tasks counted by their last error's type (tasks without an error: type '').
-- Parameters: $queue (NULL: every queue). Result: error_type, count, sample_message (the message of the
-- latest death: SQLite takes bare columns from the row of max()), last_at (ticks). Reads the
-- tasks_queue_state index's rows of state 'failed'.
SELECT coalesce(error ->> '$.type', '') AS error_type, count(*) AS n, max(finished_at) AS last_at, error ->> '$.message' AS sample_message
FROM tasks
WHERE state = 'failed' AND ($queue IS NULL OR queue = $queue)
GROUP BY coalesce(error ->> '$.type', '')
ORDER BY n DESC, error_type;
