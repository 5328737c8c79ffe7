-- WorkflowGet: the workflow's record.

-- name: Doc
-- Parameters: $id. Result: doc (WorkflowRecord JSON), or no row.
SELECT doc FROM workflows WHERE id = $id;
