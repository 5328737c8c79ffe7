-- LeaseExtendMany: the heartbeat. Pushes the deadline to now + duration and records progress.
-- Parameters: $id, $token, $deadline (ticks), $progress (JSON or NULL: keep).
-- Result: one row (1) when the token was current; no row otherwise (the store then reads TaskCompleteMany.StateOf
-- to tell "cancelled while running" from a stale token).
UPDATE tasks SET lease_deadline = $deadline, progress = COALESCE($progress, progress)
WHERE id = $id AND state = 'running' AND lease_token = $token
RETURNING 1;
