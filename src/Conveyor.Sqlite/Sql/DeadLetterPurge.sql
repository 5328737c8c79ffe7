-- DeadLetterPurge: delete dead tasks.
-- Parameters: $id, $queue (each NULL: any). Result: id, queue, type of each deleted task.
DELETE FROM tasks
WHERE state = 'failed' AND ($id IS NULL OR id = $id) AND ($queue IS NULL OR queue = $queue)
RETURNING id, queue, type;
