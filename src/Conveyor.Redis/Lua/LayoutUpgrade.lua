--[[
  LayoutUpgrade: one bounded step of moving ONE queue from layout 1 to layout 2 (RedisLayout.cs):
  the state index ("ix", see IX in Lib.lua) is built from layout 1's "all" index (every id, score 0)
  and each task's state. Each step takes the first "limit" ids of "all", adds each task that still
  exists to "ix" under its current state, and removes them from "all"; when "all" is empty the queue
  is done. Safe from many processes at once and beside brokers and workers of layout 2: a step is
  atomic, adding a member twice is a no-op, and a transition that ran before the step already wrote
  the task's current state (the step writes the same), one after it moves the member as usual.

  KEYS[1] all (layout 1)   KEYS[2] ix   ARGV[1] P   ARGV[2] limit

  Returns { ids indexed by this step, ids of "all" left after it }.
]]
local P, limit = ARGV[1], tonumber(ARGV[2])
local ids = redis.call("ZRANGE", KEYS[1], 0, limit - 1)
if #ids == 0 then return { 0, 0 } end
local adds = {}
for _, id in ipairs(ids) do
  local st = redis.call("HGET", P .. id, "st")
  if st and IX[st] then ix_add(adds, st, id) end
end
if #adds > 0 then zadd_many(KEYS[2], adds) end
zrem_many(KEYS[1], ids)
return { #adds / 2, redis.call("ZCARD", KEYS[1]) }
