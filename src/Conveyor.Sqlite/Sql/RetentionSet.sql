-- RetentionSet: replace the stored retention policy, or remove it.

-- name: Put
-- Parameters: $policy (JSON). Result: none.
INSERT INTO retention_policy (id, policy) VALUES (1, $policy)
ON CONFLICT (id) DO UPDATE SET policy = excluded.policy;

-- name: Clear
-- Result: none.
DELETE FROM retention_policy;
