-- BulkActionList: the newest bulk actions first.
-- Parameters: $limit. Result: id, at, actor, action, filter, ids_count, matched, changed.
SELECT id, at, actor, action, filter, ids_count, matched, changed FROM bulk_actions ORDER BY at DESC, id DESC LIMIT $limit;
