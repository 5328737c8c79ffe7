-- Migration 2: the running attempt is no longer an entry of the attempts history while it runs. It is
-- read from the attempt, worker_id and started_at columns, and appended to the history when it ends
-- (one JSON write per attempt instead of two: the lease no longer writes JSON at all). Tasks running
-- during the upgrade drop their "running" entry, which the columns now describe.

UPDATE tasks SET attempts = json_remove(attempts, '$[#-1]')
WHERE state = 'running' AND json_array_length(attempts) > 0 AND attempts ->> '$[#-1].outcome' = 'running';
