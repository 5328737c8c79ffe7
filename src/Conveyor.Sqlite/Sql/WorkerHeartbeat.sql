-- WorkerHeartbeat: upsert a worker's self-report. Parameters: $id, $now (ticks), $info (JSON). Result: none.
INSERT INTO workers (id, last_heartbeat, info) VALUES ($id, $now, $info)
ON CONFLICT (id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat, info = excluded.info;
