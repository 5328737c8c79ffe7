--[[
  DeadLetterPurge: delete dead tasks of ONE queue: one id, or up to limit of the oldest.

  KEYS[1] dead   KEYS[2] done (legacy: where versions before the finish log kept terminal tasks; the
  task's finish-log entry is left to go stale, and retention drops it)   KEYS[3] ix (the state index, see IX in Lib.lua)

  ARGV[1] P   ARGV[2] id ("" for every dead task)   ARGV[3] limit

  Returns the ids deleted (the .NET side then drops them from the global id -> queue index).
]]
local P = ARGV[1]
local ids
if ARGV[2] ~= "" then
  if redis.call("ZSCORE", KEYS[1], ARGV[2]) then ids = { ARGV[2] } else ids = {} end
else
  ids = redis.call("ZRANGE", KEYS[1], 0, tonumber(ARGV[3]) - 1)
end
if #ids == 0 then return {} end
for _, id in ipairs(ids) do redis.call("DEL", P .. id) end
redis.call("ZREM", KEYS[1], unpack(ids))
redis.call("ZREM", KEYS[2], unpack(ids))
local ixrem = {} -- redis-index: every purged task was failed
for _, id in ipairs(ids) do ix_rem(ixrem, "failed", id) end
zrem_many(KEYS[3], ixrem)
return ids
