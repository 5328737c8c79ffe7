--[[
  QueuePause: a paused queue keeps accepting tasks but TaskLease hands none out. Idempotent.

  KEYS[1] meta
  Returns 1.
]]
redis.call("HSET", KEYS[1], "paused", "1")
return 1
