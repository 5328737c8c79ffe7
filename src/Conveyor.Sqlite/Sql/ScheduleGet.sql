-- ScheduleGet: one schedule by name, or no row.
-- Parameters: $name. Columns: as ScheduleList.
SELECT definition, paused, next_run_at, last_run_at, last_task_id, created_at, updated_at
FROM schedules WHERE name = $name;
