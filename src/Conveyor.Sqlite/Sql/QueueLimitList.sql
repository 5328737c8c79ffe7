-- QueueLimitList: a queue's limits with their usage (read on a reader connection).

-- name: Limits
-- Parameters: $queue. Result: definition of each limit, by name.
SELECT definition FROM queue_limits WHERE queue = $queue ORDER BY name;

-- name: Usage
-- Parameters: $queue, $name, $max. Result: key, running, window_start, window_count of the busiest keys.
SELECT key, running, window_start, window_count FROM limit_usage WHERE queue = $queue AND name = $name
ORDER BY running DESC, window_count DESC, key LIMIT $max;

-- name: Waiting
-- Parameters: $queue. Result: slot, count of the tasks parked for each slot.
SELECT limit_wait, count(*) FROM tasks WHERE queue = $queue AND state = 'pending' AND limit_wait IS NOT NULL GROUP BY limit_wait;
