--[[
  WorkerHeartbeat: upsert a worker's self-report and stamp its heartbeat; answer the command set
  for it; forget workers silent for longer than the keep age (bounded memory without a separate
  sweep). Which of its running tasks were cancelled is read per queue by WorkerHeartbeatCancels.lua
  (the tasks live in their queues' slots, not in this one).

  KEYS[1] workers (HASH id -> json)   KEYS[2] heartbeats (ZSET id -> last heartbeat ms)
  KEYS[3] commands (HASH id -> "quiet" | "stop")

  ARGV[1] worker id   ARGV[2] json   ARGV[3] now ms   ARGV[4] forget before ms
  Returns the worker's command ("quiet" or "stop"), or "" when none is set.
]]
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1])
local gone = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", "(" .. ARGV[4], "LIMIT", 0, 100)
if #gone > 0 then
  redis.call("HDEL", KEYS[1], unpack(gone))
  redis.call("HDEL", KEYS[3], unpack(gone))
  redis.call("ZREM", KEYS[2], unpack(gone))
end
return redis.call("HGET", KEYS[3], ARGV[1]) or ""
