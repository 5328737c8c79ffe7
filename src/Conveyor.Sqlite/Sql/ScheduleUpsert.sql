-- ScheduleUpsert: create or replace a schedule, keeping its last run and created time.

-- name: Exists
-- Parameters: $name. Result: a row when the schedule exists.
SELECT 1 FROM schedules WHERE name = $name;

-- name: Put
-- Parameters: $name, $definition (JSON), $paused (0|1), $next_run_at (ticks or NULL), $now (ticks). Result: none.
INSERT INTO schedules (name, definition, paused, next_run_at, created_at, updated_at)
VALUES ($name, $definition, $paused, $next_run_at, $now, $now)
ON CONFLICT (name) DO UPDATE SET
    definition = excluded.definition, paused = excluded.paused,
    next_run_at = excluded.next_run_at, updated_at = excluded.updated_at;
