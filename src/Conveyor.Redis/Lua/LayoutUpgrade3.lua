--[[
  LayoutUpgrade3: one bounded step of moving ONE queue's task hashes from layout 2 to layout 3
  (RedisTaskStore.Memory.cs): each hash loses "id" and "q", which its key already says (task_fields in
  Lib.lua hands the id to readers; .NET adds the queue), "at" when it is "0" (absent reads as 0), and
  "sf" when it is the created time of the spec (scheduled_sf in Lib.lua reads it from there). The step walks one set of the queue's task
  ids from a cursor: the state index "ix" (every task but the running ones) by member, lexically,
  then the "running" set by rank. Safe from many processes at once and beside brokers and workers of
  layout 3: HDEL of a field that is gone is a no-op, and no layout-3 script writes either field. A
  task that moves behind the cursor while the walk goes on may keep its two fields: readers take them
  as before (the same values), it just costs its old bytes until retention deletes it.

  KEYS[1] ix   KEYS[2] running   ARGV[1] P   ARGV[2] set ("ix" or "running")
  ARGV[3] cursor (ix: the last member done, "" from the start; running: the rank to start at)
  ARGV[4] limit

  Returns { hashes changed by this step, next cursor ("" when this set is done) }.
]]
local P, set, cursor, limit = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local ids, members, nxt = {}, nil, ""
if set == "ix" then
  members = redis.call("ZRANGEBYLEX", KEYS[1], cursor == "" and "-" or "(" .. cursor, "+", "LIMIT", 0, limit)
  for i, m in ipairs(members) do ids[i] = string.sub(m, 2) end -- the state letter, then the id
  if #members == limit then nxt = members[#members] end
else
  local from = tonumber(cursor) or 0
  ids = redis.call("ZRANGE", KEYS[2], from, from + limit - 1)
  if #ids == limit then nxt = string.format("%d", from + limit) end
end
local changed = 0
for _, id in ipairs(ids) do
  local tkey = P .. id
  local n = redis.call("HDEL", tkey, "id", "q")
  local f = redis.call("HMGET", tkey, "at", "sf", "sp")
  if f[1] == "0" then n = n + redis.call("HDEL", tkey, "at") end
  if f[2] and f[2] == scheduled_sf(nil, f[3]) then n = n + redis.call("HDEL", tkey, "sf") end
  if n > 0 then changed = changed + 1 end
end
return { changed, nxt }
