-- WorkflowSweep: the unsettled workflows looked at longest ago (maintenance).

-- name: Due
-- Parameters: $before (ticks), $limit. Result: id.
SELECT id FROM workflows WHERE settled = 0 AND swept_at <= $before ORDER BY swept_at LIMIT $limit;

-- name: ExpireSteps
-- Parameters: $before (ticks), $limit. Result: none. The steps' index of the workflows Expire removes next.
DELETE FROM workflow_steps WHERE workflow_id IN
    (SELECT id FROM workflows WHERE settled = 1 AND finished_at < $before ORDER BY finished_at LIMIT $limit);

-- name: Expire
-- Parameters: $before (ticks), $limit. Result: none. Finished, settled workflows kept past the retention
-- (their records only; their steps' tasks follow the task retention).
DELETE FROM workflows WHERE id IN
    (SELECT id FROM workflows WHERE settled = 1 AND finished_at < $before ORDER BY finished_at LIMIT $limit);
