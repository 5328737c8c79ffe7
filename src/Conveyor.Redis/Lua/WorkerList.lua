--[[
  WorkerList (read only): workers whose last heartbeat is at or after a cutoff.

  KEYS[1] workers   KEYS[2] heartbeats   ARGV[1] cutoff ms   ARGV[2] limit
  Returns a flat array: json, heartbeat ms, json, heartbeat ms, ...
]]
local live = redis.call("ZRANGEBYSCORE", KEYS[2], ARGV[1], "+inf", "WITHSCORES", "LIMIT", 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #live, 2 do
  local json = redis.call("HGET", KEYS[1], live[i])
  if json then out[#out + 1] = json; out[#out + 1] = live[i + 1] end
end
return out
