--[[
  DeadLetterGroups (read only): the newest dead tasks of ONE queue, at most limit of them, counted
  by their last error's type. Costs one HMGET and one JSON decode per dead task looked at.

  KEYS[1] dead (ZSET id -> finished ms)

  ARGV[1] P   ARGV[2] limit

  Returns { complete (1: every dead task was looked at), then per group: type, count, sample
  message (of its latest death), last finished ms }.
]]
local P, limit = ARGV[1], tonumber(ARGV[2])
local ids = redis.call("ZREVRANGE", KEYS[1], 0, limit - 1)
local groups, order = {}, {}
for _, id in ipairs(ids) do
  local f = redis.call("HMGET", P .. id, "er", "fa")
  local ty, msg = "", false
  if f[1] and f[1] ~= "" then
    local ok, e = pcall(cjson.decode, f[1])
    if ok and type(e) == "table" then
      if type(e.type) == "string" then ty = e.type end
      if type(e.message) == "string" then msg = e.message end
    end
  end
  local g = groups[ty]
  if not g then
    -- The newest first: the first seen of a type is its latest death.
    g = { 0, msg, tonumber(f[2]) or 0 }
    groups[ty] = g
    order[#order + 1] = ty
  end
  g[1] = g[1] + 1
end
local out = { (#ids < limit or redis.call("ZCARD", KEYS[1]) <= limit) and 1 or 0 }
for _, ty in ipairs(order) do
  local g = groups[ty]
  out[#out + 1] = ty
  out[#out + 1] = g[1]
  out[#out + 1] = g[2]
  out[#out + 1] = g[3]
end
return out
