-- TaskCancel: pending/scheduled -> cancelled at once; running -> cancelled at once with the lease
-- fenced off (complete/fail with its token are refused), keeping the token so that the worker's next
-- heartbeat (LeaseExtendMany) learns that cancellation was asked and fires the handler's token.

-- name: Pending
-- Parameters: $id, $now (ticks). Result: queue, type when the task was pending or scheduled.
UPDATE tasks SET state = 'cancelled', finished_at = $now
WHERE id = $id AND state IN ('pending', 'scheduled')
RETURNING queue, type;

-- name: Running
-- Parameters: $id, $now (ticks), $now_text. Result: queue, type when the task was running.
UPDATE tasks SET
    state = 'cancelled', finished_at = $now, cancel_requested = 1, worker_id = NULL, lease_deadline = NULL,
    attempts = json_set(attempts, '$[#-1].finished_at', $now_text, '$[#-1].outcome', 'cancelled')
WHERE id = $id AND state = 'running'
RETURNING queue, type;
