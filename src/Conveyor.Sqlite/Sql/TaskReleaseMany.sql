-- TaskReleaseMany: running -> pending without charging the attempt (a draining worker hands work
-- back). The task keeps its FIFO position, so it is the next one leased.
-- Parameters: $id, $token, $now_text. Result: queue, type when the token was current; no row otherwise.
UPDATE tasks SET
    state = 'pending', attempt = attempt - 1,
    worker_id = NULL, lease_token = NULL, lease_deadline = NULL,
    attempts = json_insert(attempts, '$[#]', json_object('number', attempt, 'worker_id', worker_id,
        'started_at', conveyor_time(started_at), 'finished_at', $now_text, 'outcome', 'released'))
WHERE id = $id AND state = 'running' AND lease_token = $token
RETURNING queue, type;
