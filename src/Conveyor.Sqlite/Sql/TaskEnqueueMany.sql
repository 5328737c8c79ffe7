-- TaskEnqueueMany: store new tasks (built and validated by the engine). Run once per task inside
-- one transaction; an idempotency key held in the same queue within the window returns the
-- existing task instead (Created=false), also for a repeat within the same batch.

-- name: KeyFind
-- Parameters: $queue, $key, $since (ticks: now - window). Result: task_id of a live holder, or no row.
SELECT k.task_id FROM idempotency_keys k JOIN tasks t ON t.id = k.task_id
WHERE k.queue = $queue AND k.key = $key AND k.created_at > $since;

-- name: KeyPut
-- Parameters: $queue, $key, $task_id, $created_at. Result: none. Replaces an expired holder.
INSERT OR REPLACE INTO idempotency_keys (queue, key, task_id, created_at) VALUES ($queue, $key, $task_id, $created_at);

-- name: InsertMany
-- The tasks without an idempotency key, all in one statement.
-- Parameters: $items (JSON array of objects named like the columns; args/metadata as JSON, backoff as JSON text).
-- Result: none.
INSERT INTO tasks (id, seq, type, queue, state, priority, args, attempt, max_attempts, backoff, timeout,
                   idempotency_key, metadata, attempts, created_at, scheduled_for, expires_at)
SELECT value ->> '$.id', value ->> '$.seq', value ->> '$.type', value ->> '$.queue', value ->> '$.state',
       value ->> '$.priority', value -> '$.args', 0, value ->> '$.max_attempts', value ->> '$.backoff',
       value ->> '$.timeout', NULL, value -> '$.metadata', '[]', value ->> '$.created_at', value ->> '$.scheduled_for',
       value ->> '$.expires_at'
FROM json_each($items);

-- name: Insert
-- One task (used for tasks with an idempotency or unique key, which are checked one by one).
-- Parameters: every column of a new task. Result: none.
INSERT INTO tasks (id, seq, type, queue, state, priority, args, attempt, max_attempts, backoff, timeout,
                   idempotency_key, unique_key, metadata, attempts, created_at, scheduled_for, expires_at)
VALUES ($id, $seq, $type, $queue, $state, $priority, $args, 0, $max_attempts, $backoff, $timeout,
        $key, $unique_key, $metadata, '[]', $created_at, $scheduled_for, $expires_at);

-- name: UniqueFind
-- limits: unique while active. Parameters: $queue, $key. Result: the id of the key's holder while it
-- is pending, scheduled or running; no row otherwise.
SELECT k.task_id FROM unique_keys k JOIN tasks t ON t.id = k.task_id
WHERE k.queue = $queue AND k.key = $key AND t.state IN ('pending', 'scheduled', 'running');

-- name: UniquePut
-- Parameters: $queue, $key, $task_id. Result: none. Replaces a holder that has ended.
INSERT OR REPLACE INTO unique_keys (queue, key, task_id) VALUES ($queue, $key, $task_id);
