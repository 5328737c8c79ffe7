-- TaskGet: one task by id.
-- Parameters: $id. Result: the task row, or no row.
SELECT * FROM tasks WHERE id = $id;
