-- TaskList: browse and search tasks newest first (by id: UUIDv7 sorts by creation time).
-- Parameters (Browse takes all but $key; Scan all but $key, and $budget): $state, $queue, $type (each NULL: any), $cursor (the last id of the
-- previous page, or NULL), $key (idempotency key), $tag_key and $tag_value (a metadata entry), $error
-- (lower-case text found in the last error's type or message), $error_type (the last error's exact
-- type): each NULL for any; $limit (the page size + 1, so the store knows whether another page follows).
-- Result: task rows.

-- name: Browse
-- Without an idempotency key ($key NULL) or search filter: along the id order, state, queue and type
-- checked row by row. (The store sends error and tag searches to Scan instead.)
SELECT * FROM tasks
WHERE ($state IS NULL OR state = $state)
  AND ($queue IS NULL OR queue = $queue)
  AND ($type IS NULL OR type = $type)
  AND ($cursor IS NULL OR id < $cursor)
  AND ($error_type IS NULL OR (error IS NOT NULL AND error ->> '$.type' = $error_type))
  AND ($error IS NULL OR (error IS NOT NULL AND (instr(lower(error ->> '$.type'), $error) > 0 OR instr(lower(error ->> '$.message'), $error) > 0)))
  AND ($tag_key IS NULL OR (metadata IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(tasks.metadata) AS m WHERE m.key = $tag_key AND m.value = $tag_value)))
ORDER BY id DESC
LIMIT $limit;

-- name: ByKey
-- With an idempotency key: the same filters, found through tasks_idempotency_key (the plain
-- "idempotency_key = $key" term is what lets the planner use that partial index).
SELECT * FROM tasks
WHERE idempotency_key = $key
  AND ($state IS NULL OR state = $state)
  AND ($queue IS NULL OR queue = $queue)
  AND ($type IS NULL OR type = $type)
  AND ($cursor IS NULL OR id < $cursor)
  AND ($error_type IS NULL OR (error IS NOT NULL AND error ->> '$.type' = $error_type))
  AND ($error IS NULL OR (error IS NOT NULL AND (instr(lower(error ->> '$.type'), $error) > 0 OR instr(lower(error ->> '$.message'), $error) > 0)))
  AND ($tag_key IS NULL OR (metadata IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(tasks.metadata) AS m WHERE m.key = $tag_key AND m.value = $tag_value)))
ORDER BY id DESC
LIMIT $limit;

-- name: Scan
-- A search by error or tag, bounded: it looks at no more than $budget rows of the state/queue/type
-- filters below the cursor (newest first), reading the JSON of each, and answers the matches among them.
-- The store then reads ScanEnd to know where the look stopped.
WITH scan AS (
    SELECT rowid AS r FROM tasks
    WHERE ($state IS NULL OR state = $state)
      AND ($queue IS NULL OR queue = $queue)
      AND ($type IS NULL OR type = $type)
      AND ($cursor IS NULL OR id < $cursor)
    ORDER BY id DESC
    LIMIT $budget
)
SELECT tasks.* FROM scan JOIN tasks ON tasks.rowid = scan.r
WHERE ($error_type IS NULL OR (error IS NOT NULL AND error ->> '$.type' = $error_type))
  AND ($error IS NULL OR (error IS NOT NULL AND (instr(lower(error ->> '$.type'), $error) > 0 OR instr(lower(error ->> '$.message'), $error) > 0)))
  AND ($tag_key IS NULL OR (metadata IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(tasks.metadata) AS m WHERE m.key = $tag_key AND m.value = $tag_value)))
ORDER BY tasks.id DESC
LIMIT $limit;

-- name: ScanEnd
-- Parameters: $state, $queue, $type, $cursor, $budget. Result: how many rows Scan looked at, and the
-- oldest id among them (where the next call goes on from when the budget ran out).
SELECT count(*), min(id) FROM (
    SELECT id FROM tasks
    WHERE ($state IS NULL OR state = $state)
      AND ($queue IS NULL OR queue = $queue)
      AND ($type IS NULL OR type = $type)
      AND ($cursor IS NULL OR id < $cursor)
    ORDER BY id DESC
    LIMIT $budget
);
