-- BulkActionRecord: append one bulk action to the audit log, then keep only the newest $kept.

-- name: Insert
-- Parameters: $id, $at (ticks), $actor, $action, $filter (JSON or NULL), $ids_count, $matched, $changed. Result: none.
INSERT INTO bulk_actions (id, at, actor, action, filter, ids_count, matched, changed)
VALUES ($id, $at, $actor, $action, $filter, $ids_count, $matched, $changed);

-- name: Trim
-- Parameters: $kept. Result: none. The newest by time.
DELETE FROM bulk_actions WHERE id NOT IN (SELECT id FROM bulk_actions ORDER BY at DESC, id DESC LIMIT $kept);
