--[[
  QueueCounts (read only): the counts of ONE queue by state.

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] running   KEYS[4] dead   KEYS[5] meta

  Returns { paused (1|0), pending, scheduled, running, succeeded, failed, cancelled }.
]]
local m = redis.call("HMGET", KEYS[5], "paused", "succeeded", "cancelled")
return {
  m[1] == "1" and 1 or 0,
  redis.call("ZCARD", KEYS[1]), redis.call("ZCARD", KEYS[2]), redis.call("ZCARD", KEYS[3]),
  tonumber(m[2]) or 0, redis.call("ZCARD", KEYS[4]), tonumber(m[3]) or 0,
}
