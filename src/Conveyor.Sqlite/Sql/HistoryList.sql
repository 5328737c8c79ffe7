-- HistoryList: succeeded and failed attempts per queue per minute (table history, migration 3).

-- name: Queue
-- Parameters: $queue, $from, $to (Unix minutes, [from, to)). Result: minute, succeeded, failed.
SELECT minute, succeeded, failed FROM history WHERE minute >= $from AND minute < $to AND queue = $queue;

-- name: All
-- Parameters: $from, $to (Unix minutes, [from, to)). Result: minute, succeeded, failed summed over queues.
SELECT minute, SUM(succeeded), SUM(failed) FROM history WHERE minute >= $from AND minute < $to GROUP BY minute;

-- name: Add
-- Written by TaskCompleteMany, TaskFailMany and MaintenanceRun inside their own transaction, once per
-- queue per operation. Parameters: $minute, $queue, $succeeded, $failed. Result: none.
INSERT INTO history (minute, queue, succeeded, failed) VALUES ($minute, $queue, $succeeded, $failed)
ON CONFLICT (minute, queue) DO UPDATE SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed;

-- name: Expire
-- Run by MaintenanceRun. Parameters: $before (Unix minute). Result: none.
DELETE FROM history WHERE minute < $before;
