-- TaskList: browse tasks newest first (by id: UUIDv7 sorts by creation time).
-- Parameters: $state, $queue, $type (each NULL: any), $cursor (the last id of the previous page, or NULL),
-- $limit (the page size + 1, so the store knows whether another page follows). Result: task rows.
SELECT * FROM tasks
WHERE ($state IS NULL OR state = $state)
  AND ($queue IS NULL OR queue = $queue)
  AND ($type IS NULL OR type = $type)
  AND ($cursor IS NULL OR id < $cursor)
ORDER BY id DESC
LIMIT $limit;
