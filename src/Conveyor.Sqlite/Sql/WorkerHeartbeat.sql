-- WorkerHeartbeat: upsert a worker's self-report (the command set for it is kept), answer its
-- command and which of its running tasks were cancelled while running, forget long-silent workers.

-- name: Upsert
-- Parameters: $id, $now (ticks), $info (JSON). Result: command (NULL when none).
INSERT INTO workers (id, last_heartbeat, info) VALUES ($id, $now, $info)
ON CONFLICT (id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat, info = excluded.info
RETURNING command;

-- name: Cancels
-- Parameters: $ids (JSON array of the worker's running task ids). Result: id of each cancelled while running.
SELECT id FROM tasks
WHERE id IN (SELECT value FROM json_each($ids)) AND state = 'cancelled' AND cancel_requested = 1;

-- name: Prune
-- Parameters: $before (ticks). Result: none. Uses workers_last_heartbeat: a probe that finds nothing writes nothing.
DELETE FROM workers WHERE last_heartbeat < $before;
