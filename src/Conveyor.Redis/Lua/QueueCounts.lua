--[[
  QueueCounts (read only): the counts of ONE queue by state, all O(1): set sizes and the meta
  counters that the transitions keep (succeeded, cancelled; failed is the dead set's size); and the
  scheduled_for of the oldest pending task: the smallest "sf" among the heads of the ready set's ten
  priority bands (FIFO within a band, so a band's head is its longest waiting task).

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] running   KEYS[4] dead   KEYS[5] meta

  ARGV[1] P (task key prefix)

  Returns { paused (1|0), pending, scheduled, running, succeeded, failed, cancelled,
  oldest pending scheduled_for ms (-1 when none is pending), expired }.
]]
local m = redis.call("HMGET", KEYS[5], "paused", "succeeded", "cancelled", "lp", "expired")
local pending = redis.call("ZCARD", KEYS[1])
local oldest = -1
if pending > 0 then
  for band = 0, 9 do
    local head = redis.call("ZRANGEBYSCORE", KEYS[1], band * BAND, "(" .. ((band + 1) * BAND), "LIMIT", 0, 1)
    if head[1] then
      local h = redis.call("HMGET", ARGV[1] .. head[1], "sf", "sp")
      local sf = tonumber(scheduled_sf(h[1], h[2])) -- memory: "sf" left out when it is the created time
      if sf and (oldest < 0 or sf < oldest) then oldest = sf end
    end
  end
end
return {
  m[1] == "1" and 1 or 0,
  pending + math.max(0, tonumber(m[4]) or 0), redis.call("ZCARD", KEYS[2]), redis.call("ZCARD", KEYS[3]),
  tonumber(m[2]) or 0, redis.call("ZCARD", KEYS[4]), tonumber(m[3]) or 0, oldest,
  tonumber(m[5]) or 0, -- expiry: expired (meta counter kept by expire_due and TaskExpire's retention)
}
