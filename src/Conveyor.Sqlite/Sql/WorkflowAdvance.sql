-- WorkflowAdvance: record what a workflow's steps did and carry out what follows (WorkflowRules), in
-- the writer's transaction: the step's own transition (TaskCompleteMany, TaskFailMany, MaintenanceRun)
-- calls it with the ids it ended, so a step's end and its successors' release commit together.

-- name: StepsOf
-- Parameters: $ids (JSON array of task ids). Result: task_id, workflow_id, step of those that are workflow steps.
SELECT s.task_id, s.workflow_id, s.step FROM json_each($ids) AS j JOIN workflow_steps AS s ON s.task_id = j.value;

-- name: TaskState
-- Parameters: $id. Result: state, result of the step's task, or no row.
SELECT state, result FROM tasks WHERE id = $id;

-- name: Write
-- Parameters: $id, $state, $settled, $doc, $finished_at (ticks or NULL), $swept_at (ticks). Result: none.
UPDATE workflows SET state = $state, settled = $settled, doc = $doc, finished_at = $finished_at, swept_at = $swept_at WHERE id = $id;

-- name: Release
-- Parameters: $id, $args (JSON), $seq, $now (ticks). Result: queue, type when the task was waiting.
UPDATE tasks SET state = 'pending', args = $args, seq = $seq, scheduled_for = $now
WHERE id = $id AND state = 'waiting'
RETURNING queue, type;

-- name: CancelWaiting
-- Parameters: $id, $now (ticks). Result: queue, type when the task was waiting.
UPDATE tasks SET state = 'cancelled', finished_at = $now
WHERE id = $id AND state = 'waiting'
RETURNING queue, type;
