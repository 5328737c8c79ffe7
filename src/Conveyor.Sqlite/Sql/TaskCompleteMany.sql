-- TaskCompleteMany: running -> succeeded, fenced by the lease token. Run once per item.

-- name: Complete
-- Parameters: $id, $token, $result (JSON or NULL), $now (ticks), $now_text.
-- Result: queue, type of the task when the token was current; no row: stale token or unknown id.
UPDATE tasks SET
    state = 'succeeded', result = $result, finished_at = $now,
    worker_id = NULL, lease_token = NULL, lease_deadline = NULL,
    attempts = json_set(attempts, '$[#-1].finished_at', $now_text, '$[#-1].outcome', 'succeeded')
WHERE id = $id AND state = 'running' AND lease_token = $token
RETURNING queue, type;

-- name: StateOf
-- Parameters: $id. Result: state, lease_token, cancel_requested, lease_deadline of the task, or no row.
SELECT state, lease_token, cancel_requested, lease_deadline FROM tasks WHERE id = $id;
