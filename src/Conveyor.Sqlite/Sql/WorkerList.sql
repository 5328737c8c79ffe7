-- WorkerList: workers heard from since $since (ticks). Parameters: $since. Result: info (JSON), last_heartbeat.
SELECT info, last_heartbeat FROM workers WHERE last_heartbeat >= $since ORDER BY id;
