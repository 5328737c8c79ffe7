-- TaskCompleteMany: running -> succeeded, fenced by the lease token; the whole batch in one statement.

-- name: Complete
-- Parameters: $items (JSON array of {"id", "token", "result"?}), $now (ticks), $now_text (ISO time).
-- Result: id, queue, type of each task whose token was current; an item missing from the result had a
-- stale token or an unknown id (the store then reads StateOf to tell which).
WITH items AS (
    SELECT value ->> '$.id' AS id, value ->> '$.token' AS token, value -> '$.result' AS result
    FROM json_each($items)
)
UPDATE tasks SET
    state = 'succeeded', result = items.result, finished_at = $now,
    worker_id = NULL, lease_token = NULL, lease_deadline = NULL,
    attempts = json_insert(tasks.attempts, '$[#]', json_object('number', tasks.attempt, 'worker_id', tasks.worker_id,
        'started_at', conveyor_time(tasks.started_at), 'finished_at', $now_text, 'outcome', 'succeeded'))
FROM items
-- +tasks.state: a lookup by id for each item, never a walk of the running tasks (index tasks_state_id).
WHERE tasks.id = items.id AND +tasks.state = 'running' AND tasks.lease_token = items.token
RETURNING tasks.id, tasks.queue, tasks.type;

-- name: StateOf
-- Parameters: $id. Result: state, lease_token, cancel_requested of the task, or no row.
SELECT state, lease_token, cancel_requested FROM tasks WHERE id = $id;
