-- WorkflowSweep: the unsettled workflows looked at longest ago (maintenance).

-- name: Due
-- Parameters: $before (ticks), $limit. Result: id.
SELECT id FROM workflows WHERE settled = 0 AND swept_at <= $before ORDER BY swept_at LIMIT $limit;
