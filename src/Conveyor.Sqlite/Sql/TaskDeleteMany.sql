-- TaskDeleteMany: delete one task that is not running (the writer runs it for each id of the batch,
-- in one transaction), and the idempotency key it holds.

-- name: Delete
-- Parameters: $id. Result: queue, idempotency_key of the deleted task (no row: not found, or running).
DELETE FROM tasks WHERE id = $id AND state <> 'running'
RETURNING queue, idempotency_key;

-- name: Key
-- Parameters: $queue, $key, $id. Result: none. Only when the deleted task is the key's holder.
DELETE FROM idempotency_keys WHERE queue = $queue AND key = $key AND task_id = $id;

-- name: Exists
-- Parameters: $id. Result: 1 when the task exists.
SELECT 1 FROM tasks WHERE id = $id;
