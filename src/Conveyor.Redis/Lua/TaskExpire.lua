--[[
  TaskExpire: expiry's share of maintenance for ONE queue (issue 14 item 4), run by MaintenanceRun
  beside MaintenanceRun.lua: end the pending and scheduled tasks past their expires_at that no lease
  looked at (expire_due in Lib.lua), then retention of expired tasks from the head of "fin:expired":
  delete while an entry is at or before the cutoff or the queue holds more than max count.

  KEYS[1] exp   KEYS[2] ready   KEYS[3] scheduled   KEYS[4] fin:expired   KEYS[5] meta   KEYS[6] ix

  ARGV[1] P   ARGV[2] now ms   ARGV[3] limit   ARGV[4] events channel   ARGV[5] queue
  ARGV[6] expired retention cutoff ms   ARGV[7] expired max count (-1: none)   ARGV[8] delete budget

  Returns { n expired, n deleted, type of each expired task ..., id of each deleted task ... }.
]]
local P, nows, limit, q = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[5]
local evs = {}
local types = expire_due(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], P, q, nows, limit, evs)
ev_flush(ARGV[4], evs)

local cut, max, budget = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local deleted, rems = {}, {}
local n = tonumber(redis.call("HGET", KEYS[5], "expired") or "0")
local popped = 0
if n > 0 and budget > 0 then
  local head = redis.call("LRANGE", KEYS[4], 0, 2 * limit - 1)
  for i = 1, #head, 2 do
    if budget <= 0 then break end
    local at = tonumber(head[i + 1])
    if at > cut and (max < 0 or n <= max) then break end
    popped = popped + 2
    local f = redis.call("HMGET", P .. head[i], "st", "fa")
    if f[1] == "expired" and tonumber(f[2]) == at then
      redis.call("DEL", P .. head[i])
      deleted[#deleted + 1] = head[i]
      ix_rem(rems, "expired", head[i])
      n = n - 1
      budget = budget - 1
    end
  end
end
if popped > 0 then redis.call("LTRIM", KEYS[4], popped, -1) end
if #deleted > 0 then
  zrem_many(KEYS[6], rems)
  redis.call("HINCRBY", KEYS[5], "expired", -#deleted)
end
local res = { #types, #deleted }
for _, t in ipairs(types) do res[#res + 1] = t end
for _, id in ipairs(deleted) do res[#res + 1] = id end
return res
