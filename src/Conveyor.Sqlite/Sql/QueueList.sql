-- QueueList: every queue that has tasks or is paused, with counts by state.

-- name: Counts
-- Parameters: none. Result: queue, state, n.
SELECT queue, state, COUNT(*) AS n FROM tasks GROUP BY queue, state;

-- name: Paused
-- Parameters: none. Result: name of each paused queue.
SELECT name FROM queues WHERE paused = 1;
