-- Migration 8: retention per queue and terminal state (issue 11 item 7).
--
-- tasks_retention: the finish-time order of each (queue, state), so that MaintenanceRun deletes the
-- oldest tasks of one state of one queue by age (a range from the start) and by count (the first
-- "count - max" entries) without walking tasks of other states that are kept longer.
-- It replaces tasks_finished (finish time alone), which nothing else reads: one index write per finish, as before.
CREATE INDEX tasks_retention ON tasks (queue, state, finished_at) WHERE state IN ('succeeded', 'failed', 'cancelled');
DROP INDEX tasks_finished;

-- The retention policy set through RetentionSet (JSON, RetentionPolicy.ToJson); no row: none set.
CREATE TABLE retention_policy (
    id     INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    policy TEXT    NOT NULL
);
