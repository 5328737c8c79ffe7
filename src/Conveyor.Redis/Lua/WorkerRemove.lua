--[[
  WorkerRemove: forget a worker.

  KEYS[1] workers   KEYS[2] heartbeats   ARGV[1] worker id
  Returns 1 when it was known, else 0.
]]
redis.call("ZREM", KEYS[2], ARGV[1])
return redis.call("HDEL", KEYS[1], ARGV[1])
