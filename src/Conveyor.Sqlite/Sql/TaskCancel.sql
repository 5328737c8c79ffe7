-- TaskCancel: pending/scheduled -> cancelled at once; running -> cancelled at once with the lease
-- fenced off (complete/fail with its token are refused), keeping the token so that the worker's next
-- heartbeat (LeaseExtendMany) learns that cancellation was asked and fires the handler's token.

-- name: Pending
-- Parameters: $id, $now (ticks). Result: queue, type when the task was pending, scheduled or waiting
-- (workflows: a waiting step; its workflow learns it at its next advance, as on Redis).
UPDATE tasks SET state = 'cancelled', finished_at = $now
WHERE id = $id AND state IN ('pending', 'scheduled', 'waiting')
RETURNING queue, type;

-- name: Running
-- Parameters: $id, $now (ticks), $now_text. Result: queue, type when the task was running.
UPDATE tasks SET
    state = 'cancelled', finished_at = $now, cancel_requested = 1, worker_id = NULL, lease_deadline = NULL,
    attempts = json_insert(attempts, '$[#]', json_object('number', attempt, 'worker_id', worker_id,
        'started_at', conveyor_time(started_at), 'finished_at', $now_text, 'outcome', 'cancelled'))
WHERE id = $id AND state = 'running'
RETURNING queue, type;
