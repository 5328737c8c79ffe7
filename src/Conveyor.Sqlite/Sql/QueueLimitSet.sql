-- QueueLimitSet / QueueLimitDelete: a queue's limits (Ops/LimitOps.cs).

-- name: Put
-- Parameters: $queue, $name, $definition (QueueLimit JSON). Result: none.
INSERT INTO queue_limits (queue, name, definition) VALUES ($queue, $name, $definition)
ON CONFLICT (queue, name) DO UPDATE SET definition = excluded.definition;

-- name: Count
-- Parameters: $queue, $name. Result: how many other limits the queue has.
SELECT count(*) FROM queue_limits WHERE queue = $queue AND name <> $name;

-- name: Definition
-- Parameters: $queue, $name. Result: the current definition, or no row.
SELECT definition FROM queue_limits WHERE queue = $queue AND name = $name;

-- name: Delete
-- Parameters: $queue, $name. Result: none (changes() says whether there was one).
DELETE FROM queue_limits WHERE queue = $queue AND name = $name;

-- name: UsageDelete
-- Forget a limit's counts (removed, or its key changed). Parameters: $queue, $name. Result: none.
DELETE FROM limit_usage WHERE queue = $queue AND name = $name;

-- name: UnparkAll
-- Every task parked for one limit (any key) back in line: the slots are "<name> x'1f' <key>", so they
-- lie between "<name> x'1f'" and "<name> x'20'". Parameters: $queue, $from, $to. Result: none.
UPDATE tasks SET limit_wait = NULL
WHERE queue = $queue AND state = 'pending' AND limit_wait >= $from AND limit_wait < $to;

-- name: ReopenForget
-- limits: a limit set without a rate has no window to reopen; a lease of a queue without a rate limit
-- does not look for one (LimitOps.Pick). Parameters: $queue, $name. Result: none.
UPDATE limit_usage SET reopen_at = NULL WHERE queue = $queue AND name = $name AND reopen_at IS NOT NULL;
