-- SchedulePause: pause (next_run_at NULL) or resume (next_run_at given) a schedule.
-- Parameters: $name, $paused (0|1), $next_run_at (ticks or NULL), $now (ticks). Result: changes() = 1 when it exists.
UPDATE schedules SET paused = $paused, next_run_at = $next_run_at, updated_at = $now WHERE name = $name;
