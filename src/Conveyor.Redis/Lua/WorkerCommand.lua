--[[
  WorkerCommand: set quiet or stop for a worker still in the registry; a quiet never undoes a stop.

  KEYS[1] heartbeats (ZSET id -> last heartbeat ms)   KEYS[2] commands (HASH id -> command)
  ARGV[1] worker id   ARGV[2] "quiet" | "stop"   ARGV[3] forgotten before ms
  Returns 1 when the worker is known (command set), 0 when not.
]]
local hb = redis.call("ZSCORE", KEYS[1], ARGV[1])
if not hb or tonumber(hb) < tonumber(ARGV[3]) then return 0 end
if ARGV[2] == "quiet" and redis.call("HGET", KEYS[2], ARGV[1]) == "stop" then return 1 end
redis.call("HSET", KEYS[2], ARGV[1], ARGV[2])
return 1
