--[[
  WorkerHeartbeat: upsert a worker's self-report and stamp its heartbeat; forget workers silent
  for longer than the prune age (bounded memory without a separate sweep).

  KEYS[1] workers (HASH id -> json)   KEYS[2] heartbeats (ZSET id -> last heartbeat ms)

  ARGV[1] worker id   ARGV[2] json   ARGV[3] now ms   ARGV[4] prune before ms
  Returns 1.
]]
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1])
local gone = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", "(" .. ARGV[4], "LIMIT", 0, 100)
if #gone > 0 then
  redis.call("HDEL", KEYS[1], unpack(gone))
  redis.call("ZREM", KEYS[2], unpack(gone))
end
return 1
