-- TaskFailMany: running -> scheduled (attempts left, retry wanted: the backoff is computed in .NET)
-- or failed (dead). Also used by MaintenanceRun for expired leases.

-- name: Read
-- Parameters: $id. Result: rowid, queue, type, state, attempt, max_attempts, backoff, lease_token, worker_id.
SELECT rowid, queue, type, state, attempt, max_attempts, backoff, lease_token, worker_id FROM tasks WHERE id = $id;

-- name: Apply
-- Parameters: $rowid, $state ('scheduled' or 'failed'), $scheduled_for (ticks, or NULL: keep), $finished_at (ticks or NULL),
-- $error (JSON), $outcome ('failed' or 'lease_expired'), $now_text. Result: none.
UPDATE tasks SET
    state = $state, scheduled_for = COALESCE($scheduled_for, scheduled_for), finished_at = $finished_at, error = $error,
    worker_id = NULL, lease_token = NULL, lease_deadline = NULL,
    attempts = json_insert(attempts, '$[#]', json_object('number', attempt, 'worker_id', worker_id,
        'started_at', conveyor_time(started_at), 'finished_at', $now_text, 'outcome', $outcome, 'error', json($error)))
WHERE rowid = $rowid;
