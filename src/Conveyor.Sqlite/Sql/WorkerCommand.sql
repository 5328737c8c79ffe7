-- WorkerCommand: set quiet or stop for a worker still in the registry; a quiet never undoes a stop.
-- Parameters: $id, $command ('quiet' or 'stop'), $since (ticks: older heartbeats are forgotten workers).
-- Result: one row (1) when the worker is known; none otherwise.
UPDATE workers SET command = CASE WHEN command = 'stop' THEN 'stop' ELSE $command END
WHERE id = $id AND last_heartbeat >= $since
RETURNING 1;
