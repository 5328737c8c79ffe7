-- TaskExpire: the one write of expiry (issue 14 item 4), shared by TaskLease (inside the lease
-- transaction) and MaintenanceRun: a pending or scheduled task ends 'expired' with its reason. It
-- never ran in this state: no lease, no attempt is charged; the attempts it had (a retry) are kept.

-- name: End
-- Parameters: $rowid, $now (ticks), $error (TaskError JSON). Result: none (0 rows when it changed meanwhile: impossible in the writer).
UPDATE tasks SET state = 'expired', finished_at = $now, error = $error,
    worker_id = NULL, lease_token = NULL, lease_deadline = NULL, progress = NULL
WHERE rowid = $rowid AND state IN ('pending', 'scheduled');
