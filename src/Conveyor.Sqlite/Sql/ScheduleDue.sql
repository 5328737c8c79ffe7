-- ScheduleDue: unpaused schedules whose next run is at or before now, earliest first (index schedules_due).
-- Parameters: $now (ticks), $limit. Columns: as ScheduleList.
SELECT definition, paused, next_run_at, last_run_at, last_task_id, created_at, updated_at
FROM schedules
WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= $now
ORDER BY next_run_at LIMIT $limit;
