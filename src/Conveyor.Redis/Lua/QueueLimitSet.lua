--[[
  QueueLimitSet: add or replace one limit of ONE queue (the limit keys: Lib.lua, "limits"). Its
  parked tasks go back in line (the new bounds apply at the next lease); a changed key starts the
  limit's counts afresh (the old ones counted other values); a limit without a rate leaves "lreopen".

  KEYS[1] meta

  ARGV[1] P   ARGV[2] limit name   ARGV[3] definition (QueueLimit JSON)   ARGV[4] key ("" for a queue-wide limit)
  ARGV[5] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")   ARGV[6] at most this many limits per queue

  Returns 1 set; -1 the queue has the most limits already (nothing changed).
]]
local T, name = qtag(ARGV[1]), ARGV[2]
local old = redis.call("HGET", T .. "limits", name)
if not old and redis.call("HLEN", T .. "limits") >= tonumber(ARGV[6]) then return -1 end
if old then
  local k = cjson.decode(old).key
  if k == cjson.null then k = nil end
  if (k or "") ~= ARGV[4] then redis.call("DEL", T .. "lu:run:" .. name) end
end
redis.call("HSET", T .. "limits", name, ARGV[3])
redis.call("HSET", KEYS[1], "lim", ARGV[5])
local moved = 0
for _, slot in ipairs(redis.call("SMEMBERS", T .. "lwset")) do
  if string.sub(slot, 1, #name + 1) == name .. "\31" then moved = moved + limit_unpark(T, slot, 1000000) end
end
-- redisunhit2: a limit without a rate has no window to reopen: its old entries go (a queue whose limits
-- have no rate never reads "lreopen": limits_pick_fast in Lib.lua).
local rate = cjson.decode(ARGV[3]).rate
if not rate or rate == cjson.null then
  for _, slot in ipairs(redis.call("ZRANGE", T .. "lreopen", 0, -1)) do
    if string.sub(slot, 1, #name + 1) == name .. "\31" then redis.call("ZREM", T .. "lreopen", slot) end
  end
end
if moved > 0 then wake_leasers(ARGV[5]) end
return 1
