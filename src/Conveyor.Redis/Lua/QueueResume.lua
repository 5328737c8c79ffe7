--[[
  QueueResume: lift a pause and wake the queue's blocked leasers. Idempotent.

  KEYS[1] meta   ARGV[1] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")
  Returns 1.
]]
redis.call("HDEL", KEYS[1], "paused")
wake_leasers(ARGV[1])
return 1
