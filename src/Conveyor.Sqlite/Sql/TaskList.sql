-- TaskList: browse and search tasks newest first (by id: UUIDv7 sorts by creation time).
-- Parameters: $state, $queue, $type (given only when the filter is set), $cursor (the last id of the
-- previous page; given only when set), $key (idempotency key), $tag_key and $tag_value (a metadata
-- entry), $error (lower-case text found in the last error's type or message), $error_type (the last
-- error's exact type): each NULL for any; $limit (the page size + 1, so the store knows whether another
-- page follows); $budget (Scan and ScanEnd: how many rows a search looks at).
-- Result: task rows (ScanEnd: count, oldest id).
--
-- Browse, Scan and ScanEnd are built per filter shape (Internal/TaskListSql.cs) from the fragments
-- below, so that a statement holds only the filters given: a term like "($state IS NULL OR state =
-- $state)" hides the column from the planner and makes it walk every task. Each shape names its index
-- (INDEXED BY), so the plan never depends on statistics (the store runs without ANALYZE); QueryPlanTests
-- checks every shape. A slot /*name*/ is filled with another fragment.

-- name: Rows
-- The base of every shape: the tasks of the filters below the cursor, newest first, at most /*limit*/.
SELECT /*columns*/ FROM tasks /*index*/ WHERE /*where*/ ORDER BY id DESC LIMIT /*limit*/

-- name: ByState
INDEXED BY tasks_state_id
-- name: ByQueueState
INDEXED BY tasks_queue_state_id
-- name: ByType
INDEXED BY tasks_type_id
-- name: ById
INDEXED BY sqlite_autoindex_tasks_1

-- name: State
state = $state
-- name: Queue
queue = $queue
-- name: Type
type = $type
-- name: Cursor
id < $cursor

-- name: EachState
-- A queue without a state: tasks_queue_state_id holds each state's ids in order, so one Rows per state
-- (state bound to $s0 .. $s5), merged newest first. Reads at most six pages of index, never the queue.
SELECT * FROM (/*branches*/) ORDER BY id DESC LIMIT /*limit*/

-- name: Browse
-- Without an idempotency key or search filter.
/*rows*/;

-- name: ByKey
-- With an idempotency key: the same filters, found through tasks_idempotency_key (the plain
-- "idempotency_key = $key" term is what lets the planner use that partial index; a key holds few rows,
-- so the other terms may be checked row by row).
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
-- filters below the cursor (newest first; /*rows*/ with columns "rowid AS r, id"), reading the JSON of
-- each, and answers the matches among them. The store then reads ScanEnd to know where the look stopped.
WITH scan AS (/*rows*/)
SELECT tasks.* FROM scan JOIN tasks ON tasks.rowid = scan.r
WHERE ($error_type IS NULL OR (error IS NOT NULL AND error ->> '$.type' = $error_type))
  AND ($error IS NULL OR (error IS NOT NULL AND (instr(lower(error ->> '$.type'), $error) > 0 OR instr(lower(error ->> '$.message'), $error) > 0)))
  AND ($tag_key IS NULL OR (metadata IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(tasks.metadata) AS m WHERE m.key = $tag_key AND m.value = $tag_value)))
ORDER BY tasks.id DESC
LIMIT $limit;

-- name: ScanEnd
-- How many rows Scan looked at, and the oldest id among them (where the next call goes on from when the
-- budget ran out): the same /*rows*/ as Scan's, in the same read transaction.
SELECT count(*), min(id) FROM (/*rows*/);
