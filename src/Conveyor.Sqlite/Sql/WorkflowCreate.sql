-- WorkflowCreate: the workflow's record and its steps' index, in the transaction that inserts the
-- steps' tasks (TaskEnqueueMany's statements: first steps pending, the rest waiting).

-- name: Workflow
-- Parameters: $id, $state, $doc (WorkflowRecord JSON), $created_at (ticks). Result: none.
INSERT INTO workflows (id, state, settled, doc, created_at) VALUES ($id, $state, 0, $doc, $created_at);

-- name: Steps
-- Parameters: $workflow_id, $items (JSON array of {"task_id", "step"}). Result: none.
INSERT INTO workflow_steps (task_id, workflow_id, step)
SELECT value ->> '$.task_id', $workflow_id, value ->> '$.step' FROM json_each($items);
