-- ScheduleClaim: the compare-and-set of a schedule's next run; the tick's tasks are enqueued in the
-- same transaction (ScheduleOps, through TaskEnqueueMany's statements) only when it changed a row.

-- name: Claim
-- Parameters: $name, $expected (ticks), $next_run_at (ticks or NULL), $last_run_at (ticks or NULL),
-- $last_task_id (or NULL), $now (ticks). Result: changes() = 1 when this call claimed the tick.
UPDATE schedules
SET next_run_at = $next_run_at,
    last_run_at = coalesce($last_run_at, last_run_at),
    last_task_id = coalesce($last_task_id, last_task_id)
WHERE name = $name AND paused = 0 AND next_run_at = $expected;

-- name: RunNow
-- Parameters: $name, $last_run_at (ticks), $last_task_id. Result: changes() = 1 when the schedule exists.
UPDATE schedules SET last_run_at = $last_run_at, last_task_id = $last_task_id WHERE name = $name;
