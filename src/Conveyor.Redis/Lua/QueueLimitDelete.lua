--[[
  QueueLimitDelete: remove one limit of ONE queue; its parked tasks go back in line and its counts
  are dropped. The last limit gone, the queue's scripts skip limits again (meta "lim" removed).

  KEYS[1] meta

  ARGV[1] P   ARGV[2] limit name   ARGV[3] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")

  Returns 1 removed; 0 there was no such limit.
]]
local T, name = qtag(ARGV[1]), ARGV[2]
if redis.call("HDEL", T .. "limits", name) == 0 then return 0 end
redis.call("DEL", T .. "lu:run:" .. name)
local moved = 0
for _, slot in ipairs(redis.call("SMEMBERS", T .. "lwset")) do
  if string.sub(slot, 1, #name + 1) == name .. "\31" then moved = moved + limit_unpark(T, slot, 1000000) end
end
for _, slot in ipairs(redis.call("ZRANGE", T .. "lreopen", 0, -1)) do
  if string.sub(slot, 1, #name + 1) == name .. "\31" then redis.call("ZREM", T .. "lreopen", slot) end
end
if redis.call("HLEN", T .. "limits") == 0 then redis.call("HDEL", KEYS[1], "lim") end
if moved > 0 then wake_leasers(ARGV[3]) end
return 1
