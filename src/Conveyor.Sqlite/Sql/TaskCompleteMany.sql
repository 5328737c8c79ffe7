-- TaskCompleteMany: running -> succeeded, fenced by the lease token; the whole batch in one statement.

-- name: Complete
-- Parameters: $items (JSON array of {"id", "token", "result"?}), $now (ticks), $now_text (ISO time).
-- Result: id, queue, type, limit_held of each task whose token was current; an item missing from the
-- result had a stale token or an unknown id (the store then reads StateOf to tell which). limits: the
-- slots a task held are given back by the store after this statement (GiveBack), once per slot of the
-- batch; the triggers of migration 23 leave a task that becomes succeeded alone.
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
RETURNING tasks.id, tasks.queue, tasks.type, tasks.limit_held;

-- name: StateOf
-- Parameters: $id. Result: state, lease_token, cancel_requested of the task, or no row.
SELECT state, lease_token, cancel_requested FROM tasks WHERE id = $id;

-- limits: the slots of the batch's succeeded tasks given back (Ops/LimitGiveBack.cs), one slot at a
-- time with how many of the batch held it, in the writer transaction of the completion.

-- name: GiveBack
-- Parameters: $queue, $name, $key, $n (how many tasks of the batch held the slot), $slot (its text,
-- "<name>\x1f<key>"). Result: one row when the usage row exists, 1 when tasks are parked for the slot
-- (a probe of tasks_parked), else 0 (limits: the probe rides along, so a batch that frees slots of a
-- queue with nothing parked runs one statement per slot and no Parked probe).
UPDATE limit_usage SET running = max(running - $n, 0) WHERE queue = $queue AND name = $name AND key = $key
RETURNING EXISTS (SELECT 1 FROM tasks WHERE queue = $queue AND state = 'pending' AND limit_wait = $slot);

-- name: GiveBackMany
-- As GiveBack for every slot of a batch that freed several (limits: one statement instead of one per
-- slot). Parameters: $queue, $slots (JSON array of [name, key, n]). Result: name, key, and 1 when tasks
-- are parked for the slot (else 0), of each slot that has a usage row. MATERIALIZED: the slots outside,
-- each a primary-key lookup (as a plain UPDATE ... FROM, SQLite walked the queue's usage rows and read
-- the slots' JSON again for each; see UsageMany).
WITH s AS MATERIALIZED (SELECT value ->> 0 AS name, value ->> 1 AS key, value ->> 2 AS n FROM json_each($slots))
UPDATE limit_usage SET running = max(running - s.n, 0) FROM s
WHERE limit_usage.queue = $queue AND limit_usage.name = s.name AND limit_usage.key = s.key
RETURNING name, key, EXISTS (SELECT 1 FROM tasks WHERE queue = $queue AND state = 'pending' AND limit_wait = name || x'1f' || key);

-- name: Parked
-- Parameters: $queue. Result: one row while the queue has a parked task (a probe of tasks_parked).
-- limits: asked only for a slot whose usage row is gone (its limit was deleted or rekeyed).
SELECT 1 FROM tasks WHERE queue = $queue AND state = 'pending' AND limit_wait IS NOT NULL LIMIT 1;

-- name: Unpark
-- Up to $n tasks parked for a freed slot back in line, in their order (their seq kept). Parameters:
-- $queue, $slot, $n. Result: none.
UPDATE tasks SET limit_wait = NULL WHERE rowid IN (
    SELECT rowid FROM tasks WHERE queue = $queue AND state = 'pending' AND limit_wait = $slot ORDER BY priority DESC, seq LIMIT $n);
