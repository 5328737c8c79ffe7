-- WorkerList: workers heard from since $since (ticks: now - WorkerRegistry.KeepSilent); the store
-- splits them into live and silent. Parameters: $since. Result: info (JSON), last_heartbeat.
SELECT info, last_heartbeat FROM workers WHERE last_heartbeat >= $since ORDER BY id;
