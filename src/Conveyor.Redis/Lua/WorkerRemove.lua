--[[
  WorkerRemove: forget a worker (and the command set for it).

  KEYS[1] workers   KEYS[2] heartbeats   KEYS[3] commands   ARGV[1] worker id
  Returns 1 when it was known, else 0.
]]
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("HDEL", KEYS[3], ARGV[1])
return redis.call("HDEL", KEYS[1], ARGV[1])
