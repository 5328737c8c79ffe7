-- ScheduleList: every schedule, by name.
-- Columns: definition, paused, next_run_at, last_run_at, last_task_id, created_at, updated_at.
SELECT definition, paused, next_run_at, last_run_at, last_task_id, created_at, updated_at
FROM schedules ORDER BY name;
