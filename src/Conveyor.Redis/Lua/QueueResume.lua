--[[
  QueueResume: lift a pause and wake the queue's blocked leasers. Idempotent.

  KEYS[1] meta   ARGV[1] wake channel
  Returns 1.
]]
redis.call("HDEL", KEYS[1], "paused")
redis.call("PUBLISH", ARGV[1], "1")
return 1
