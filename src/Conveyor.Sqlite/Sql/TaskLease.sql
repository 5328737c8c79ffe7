-- TaskLease: lease up to $limit ready tasks of ONE queue; the store calls it queue by queue, in the
-- caller's order of preference, inside one transaction of the single writer.

-- name: Paused
-- Parameters: $queue. Result: one row when the queue is paused. (Pick checks it itself; this one is
-- for the idle path, which must not wait on a paused queue's due times.)
SELECT 1 FROM queues WHERE name = $queue AND paused = 1;

-- name: Promote
-- Due scheduled tasks become pending, each with a fresh FIFO position (in due order).
-- Parameters: $queue, $now (ticks), $seq (last sequence handed out). Result: id, queue, type, seq of each promoted task.
WITH due AS (
    SELECT rowid AS r, row_number() OVER (ORDER BY scheduled_for, seq) AS n
    FROM tasks WHERE state = 'scheduled' AND queue = $queue AND scheduled_for <= $now
)
UPDATE tasks SET state = 'pending', seq = $seq + due.n
FROM due WHERE tasks.rowid = due.r
RETURNING id, queue, type, seq;

-- name: Pick
-- The tasks to lease: priority 9 first, FIFO (seq) within a priority, nothing from a paused queue.
-- Parameters: $queue. Result: rowid of each, in lease order; the store reads only as many as it
-- leases (the index gives the order, so rows are produced one step at a time). Why not LIMIT $limit:
-- a bound LIMIT made this statement four times slower than a literal one (25 us against 6 us,
-- Microsoft.Data.Sqlite with SQLite 3.53); 1000 is TaskDefaults.MaxLeaseBatch.
SELECT rowid FROM tasks WHERE state = 'pending' AND queue = $queue AND limit_wait IS NULL -- limits: parked tasks wait out of line
    AND NOT EXISTS (SELECT 1 FROM queues WHERE name = $queue AND paused = 1)
ORDER BY priority DESC, seq LIMIT 1000;

-- name: Lease
-- The picked tasks become running, each with a fresh random fencing token. Why three statements (Pick,
-- Lease, Leased) and not one UPDATE ... RETURNING *: with RETURNING, the UPDATE of its own table's
-- subquery cost more than the update itself (a lease of 10 tasks in the writer, measured on W1: 262 us
-- as one statement, 155 us as these three with Pick's literal LIMIT), and this is the hot path. All
-- three run in the one writer transaction, so nothing can change between them.
-- The running attempt is not written into the attempts history: it is read from the attempt, worker_id
-- and started_at columns, and written into the history once it ends (complete, fail, release, cancel).
-- Parameters: $rowids (JSON array of Pick's rowids), $worker, $now (ticks), $deadline (ticks). Result: none.
UPDATE tasks SET
    state = 'running',
    attempt = attempt + 1,
    worker_id = $worker,
    lease_token = lower(hex(randomblob(16))),
    lease_deadline = $deadline,
    started_at = $now,
    progress = NULL,
    cancel_requested = 0
WHERE rowid IN (SELECT value FROM json_each($rowids));

-- name: Leased
-- Parameters: $rowids (JSON array). Result: the leased rows (in no particular order: the store sorts them).
SELECT * FROM tasks WHERE rowid IN (SELECT value FROM json_each($rowids));

-- name: NextDue
-- Parameters: $queue. Result: the earliest scheduled_for (ticks) of the queue's scheduled tasks, or NULL.
SELECT MIN(scheduled_for) FROM tasks WHERE state = 'scheduled' AND queue = $queue;

-- limits: the lease of a queue with limits (Ops/LimitOps.cs). A queue without any runs none of these
-- but Limits, one primary-key lookup.

-- name: Limits
-- Parameters: $queue. Result: definition (QueueLimit JSON) of each of the queue's limits.
SELECT definition FROM queue_limits WHERE queue = $queue;

-- name: PickLimited
-- As Pick, with what the keys are read from. Parameters: $queue. Result: rowid, metadata, args, in
-- lease order; the store reads only as many as it needs (limits: a bound LIMIT $n cost as much here as
-- in Pick, where it made the statement four times slower than this literal one).
SELECT rowid, metadata, args FROM tasks WHERE state = 'pending' AND queue = $queue AND limit_wait IS NULL
    AND NOT EXISTS (SELECT 1 FROM queues WHERE name = $queue AND paused = 1)
ORDER BY priority DESC, seq LIMIT 1000;

-- name: PickLimitedKey
-- As PickLimited when every keyed limit of the queue reads one metadata field (LimitOps.OneMetadataPath):
-- its value is extracted here, so the lease neither reads nor parses the metadata text, and the usage
-- row of the limit $name for that value is read with it (limits: one key lookup per candidate in this
-- statement instead of a Usage or UsageMany statement per lease; a LEFT JOIN keeps tasks the outer
-- loop, so the line order is still the index's). Parameters: $queue, $path (a JSON path, $."field"),
-- $name (the keyed limit whose usage is read). Result: rowid, the field's value (NULL: the task has
-- none), running, window_start, window_count (all NULL: no usage row), in lease order.
SELECT t.rowid, coalesce(u.key, t.metadata ->> $path), u.running, u.window_start, u.window_count
FROM tasks t LEFT JOIN limit_usage u ON u.queue = $queue AND u.name = $name AND u.key = t.metadata ->> $path
WHERE t.state = 'pending' AND t.queue = $queue AND t.limit_wait IS NULL
    AND NOT EXISTS (SELECT 1 FROM queues WHERE name = $queue AND paused = 1)
ORDER BY t.priority DESC, t.seq LIMIT 1000;

-- name: Usage
-- Parameters: $queue, $name, $key. Result: running, window_start, window_count (no row: all zero).
SELECT running, window_start, window_count FROM limit_usage WHERE queue = $queue AND name = $name AND key = $key;

-- name: UsageMany
-- The usage rows of several slots at once (limits: one read per lease instead of one per slot).
-- Parameters: $queue, $slots (JSON array of [name, key]). Result: name, key, running, window_start,
-- window_count of each slot that has a row (no row: all zero). CROSS JOIN: the slots outside, each a
-- primary-key lookup (limits: a plain JOIN walked the queue's usage rows and read the slots' JSON again
-- for each, EXPLAIN QUERY PLAN "SEARCH u USING PRIMARY KEY (queue=?)" then "SCAN j").
SELECT u.name, u.key, u.running, u.window_start, u.window_count
FROM json_each($slots) j CROSS JOIN limit_usage u WHERE u.queue = $queue AND u.name = j.value ->> 0 AND u.key = j.value ->> 1;

-- name: UsagePutMany
-- Every usage row a lease changed, in one statement (limits: one write per lease instead of one per slot).
-- Parameters: $queue, $rows (JSON array of [name, key, running, window_start, window_count, reopen_at]).
-- Result: none. reopen_at is only ever set here (or kept: a null leaves an earlier reopen time standing).
INSERT INTO limit_usage (queue, name, key, running, window_start, window_count, reopen_at)
SELECT $queue, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each($rows) WHERE true
ON CONFLICT (queue, name, key) DO UPDATE SET running = excluded.running, window_start = excluded.window_start,
    window_count = excluded.window_count, reopen_at = coalesce(excluded.reopen_at, limit_usage.reopen_at);

-- name: Park
-- Over a limit: out of line until its slot frees. Parameters: $rowid, $slot. Result: none.
UPDATE tasks SET limit_wait = $slot WHERE rowid = $rowid;

-- name: LeaseLimited
-- As Lease, for a queue with limits: the picked tasks become running and take the slots they count in
-- in the same row write (limits: a separate Held statement wrote each leased row a second time).
-- Parameters: $picked (JSON array of [rowid, held]: held is the JSON array text of the slots, or null),
-- $worker, $now (ticks), $deadline (ticks). Result: none.
UPDATE tasks SET
    state = 'running',
    attempt = attempt + 1,
    worker_id = $worker,
    lease_token = lower(hex(randomblob(16))),
    lease_deadline = $deadline,
    started_at = $now,
    progress = NULL,
    cancel_requested = 0,
    limit_held = picked.held
FROM (SELECT value ->> 0 AS r, value ->> 1 AS held FROM json_each($picked)) AS picked
WHERE tasks.rowid = picked.r;

-- name: LeaseLimitedKey
-- As LeaseLimited when the slots a task holds follow from its row: the queue's one concurrency limit,
-- $name, is keyed on the metadata field $path (LimitOps.Pick's heldInSql), so a task holds
-- ["$name\x1f<its value>"], or nothing when it has no value (as PickLimitedKey read it). limits: no
-- $picked text to build and parse per lease (a pair [rowid, held] per task, each read twice with ->>):
-- the rowids as Lease takes them, and the slot made from the row being written.
-- Parameters: $rowids (JSON array), $path (a JSON path, $."field"), $name, $worker, $now (ticks),
-- $deadline (ticks). Result: none.
UPDATE tasks SET
    state = 'running',
    attempt = attempt + 1,
    worker_id = $worker,
    lease_token = lower(hex(randomblob(16))),
    lease_deadline = $deadline,
    started_at = $now,
    progress = NULL,
    cancel_requested = 0,
    limit_held = CASE WHEN metadata ->> $path IS NOT NULL THEN json_array($name || x'1f' || (metadata ->> $path)) END
WHERE rowid IN (SELECT value FROM json_each($rowids));

-- name: Reopened
-- Rate windows that have reopened with tasks parked for them. Parameters: $queue, $now. Result: name, key.
SELECT name, key FROM limit_usage WHERE queue = $queue AND reopen_at IS NOT NULL AND reopen_at <= $now;

-- name: Unpark
-- Up to $n tasks parked for one slot back in line, in their order. Parameters: $queue, $slot, $n. Result: none.
UPDATE tasks SET limit_wait = NULL WHERE rowid IN (
    SELECT rowid FROM tasks WHERE queue = $queue AND state = 'pending' AND limit_wait = $slot ORDER BY priority DESC, seq LIMIT $n);

-- name: ReopenNext
-- After a reopen: $next (ticks) while tasks are still parked for the slot, else no reopen time.
-- Parameters: $queue, $name, $key, $slot, $next. Result: none.
UPDATE limit_usage SET reopen_at = CASE
    WHEN EXISTS (SELECT 1 FROM tasks WHERE queue = $queue AND state = 'pending' AND limit_wait = $slot) THEN $next END
WHERE queue = $queue AND name = $name AND key = $key;

-- name: NextReopen
-- Parameters: $queue. Result: the earliest time (ticks) a rate window reopens for parked tasks or a blocked queue, or NULL.
SELECT MIN(reopen_at) FROM limit_usage WHERE queue = $queue AND reopen_at IS NOT NULL;

-- name: WakeTriggers
-- Run once by each writer connection (WriteContext.HookLimits): a task that held limit slots leaves
-- running (or is deleted running), so the queue's blocked leasers are woken. TEMP: only the writer
-- has the function. A task that succeeds is left to TaskCompleteMany, which wakes the queue once per
-- batch (Ops/LimitGiveBack.cs). Parameters: none. Result: none.
DROP TRIGGER IF EXISTS temp.limits_wake;
CREATE TEMP TRIGGER limits_wake AFTER UPDATE OF state ON main.tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL AND NEW.state <> 'succeeded' BEGIN
    SELECT conveyor_limit_freed(OLD.queue);
END;
CREATE TEMP TRIGGER IF NOT EXISTS limits_wake_deleted AFTER DELETE ON main.tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL BEGIN
    SELECT conveyor_limit_freed(OLD.queue);
END;

-- expiry: (issue 14 item 4) run before Promote and Pick, in the same writer transaction, so a lease
-- never hands out a task past its expires_at. One probe of a partial index that holds only expiring
-- tasks: nothing for a queue without them.
-- name: Expire
-- Parameters: $queue, $now (ticks). Result: rowid, id, type, expires_at of each task to end expired (ExpiryOps ends them).
SELECT rowid, id, type, expires_at FROM tasks INDEXED BY tasks_expiring_queue
WHERE queue = $queue AND expires_at IS NOT NULL AND state IN ('pending', 'scheduled') AND expires_at <= $now
LIMIT 1000;
