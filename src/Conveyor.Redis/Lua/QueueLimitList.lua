--[[
  QueueLimitList (read only): the limits of ONE queue with their usage.

  KEYS[1] meta

  ARGV[1] P   ARGV[2] now ms   ARGV[3] at most this many keys per limit

  Returns { definition1, usage1, definition2, usage2, ... }; usage is a flat array of 4 values per
  key: key, running, starts in the open window, parked. The keys shown are the queue-wide "" or the
  values with running or parked tasks (a rate window of a key with neither is not listed), busiest first.
]]
local T, now, maxk = qtag(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local parked = {}
for _, slot in ipairs(redis.call("SMEMBERS", T .. "lwset")) do
  parked[slot] = redis.call("ZCARD", T .. "lw:" .. slot)
end
local out = {}
for _, d in ipairs(redis.call("HVALS", T .. "limits")) do
  local l = cjson.decode(d)
  local keys, rows = {}, {}
  local run = redis.call("HGETALL", T .. "lu:run:" .. l.name)
  for i = 1, #run, 2 do keys[run[i]] = tonumber(run[i + 1]) end
  for slot, n in pairs(parked) do
    local name, key = string.match(slot, "^([^\31]*)\31(.*)$")
    if name == l.name and keys[key] == nil then keys[key] = 0 end
  end
  if not l.key or l.key == cjson.null then if keys[""] == nil then keys[""] = 0 end end
  for key, r in pairs(keys) do
    local _, c = limit_window(T, l, key, now)
    rows[#rows + 1] = { key, r, c, parked[l.name .. "\31" .. key] or 0 }
  end
  table.sort(rows, function(a, b)
    if a[2] ~= b[2] then return a[2] > b[2] end
    if a[4] ~= b[4] then return a[4] > b[4] end
    return a[1] < b[1]
  end)
  local flat = {}
  for i = 1, math.min(#rows, maxk) do
    local r = rows[i]
    flat[#flat + 1] = r[1]; flat[#flat + 1] = r[2]; flat[#flat + 1] = r[3]; flat[#flat + 1] = r[4]
  end
  out[#out + 1] = d; out[#out + 1] = flat
end
return out
