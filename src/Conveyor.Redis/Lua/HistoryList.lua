--[[
  HistoryList (read only): the outcome counts of ONE queue per minute (written by TaskCompleteMany,
  TaskFailMany and MaintenanceRun, one HINCRBY per queue per call; see Lib.lua).

  KEYS[1] the queue's history hash of the window's first UTC day (RedisKeys.History), KEYS[2..n] those
  of the following days the window touches

  ARGV[1] from (Unix minute, inclusive)   ARGV[2] to (Unix minute, exclusive)

  Returns a flat array, 3 values per minute that has any count: minute, succeeded, failed.
]]
local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])
local counts, out = {}, {}
for _, key in ipairs(KEYS) do
  local day = tonumber(string.match(key, "(%d+)$"))
  local h = redis.call("HGETALL", key)
  for i = 1, #h, 2 do
    local minute = day * 1440 + tonumber(string.sub(h[i], 2))
    if minute >= from and minute < to then
      local c = counts[minute]
      if not c then c = { 0, 0 }; counts[minute] = c end
      if string.sub(h[i], 1, 1) == "s" then c[1] = c[1] + tonumber(h[i + 1]) else c[2] = c[2] + tonumber(h[i + 1]) end
    end
  end
end
for minute, c in pairs(counts) do
  out[#out + 1] = minute; out[#out + 1] = c[1]; out[#out + 1] = c[2]
end
return out
