-- ScheduleDelete: remove a schedule (the tasks it submitted stay).
-- Parameters: $name. Result: changes() = 1 when it existed.
DELETE FROM schedules WHERE name = $name;
