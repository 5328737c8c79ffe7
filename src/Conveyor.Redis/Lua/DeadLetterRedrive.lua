--[[
  DeadLetterRedrive: failed (dead) -> pending for tasks of ONE queue: one id, or up to limit of
  the oldest dead tasks. The attempt counter restarts at 0 (a fresh set of attempts); the history
  and the last error are kept.

  KEYS[1] dead   KEYS[2] done (legacy: where versions before the finish log kept terminal tasks; the
  task's finish-log entry is left to go stale, and retention drops it)   KEYS[3] ready   KEYS[4] meta
  KEYS[5] ix (the state index, see IX in Lib.lua)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] id ("" for every dead task, oldest first)   ARGV[4] limit
  ARGV[5] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")   ARGV[6] events channel   ARGV[7] queue
  ARGV[8] new args JSON for the task of ARGV[3] ("" keeps them)

  Returns the number of tasks moved.
]]
local P, now, q = ARGV[1], tonumber(ARGV[2]), ARGV[7]
local ids
if ARGV[3] ~= "" then
  if redis.call("ZSCORE", KEYS[1], ARGV[3]) then ids = { ARGV[3] } else ids = {} end
else
  ids = redis.call("ZRANGE", KEYS[1], 0, tonumber(ARGV[4]) - 1)
end
if #ids == 0 then return 0 end
local seq = redis.call("HINCRBY", KEYS[4], "seq", #ids) - #ids
local evs, ixadd, ixrem = {}, {}, {}
for _, id in ipairs(ids) do
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "pr", "ty")
  seq = seq + 1
  redis.call("HSET", tkey, "st", "pending", "at", 0, "sq", seq, "sf", now)
  redis.call("HDEL", tkey, "fa", "tk", "dl", "wk", "ct")
  if ARGV[3] ~= "" and ARGV[8] and ARGV[8] ~= "" then redis.call("HSET", tkey, "ar", ARGV[8]) end
  redis.call("ZADD", KEYS[3], ready_score(f[1], seq), id)
  ix_rem(ixrem, "failed", id); ix_add(ixadd, "pending", id) -- redis-index
  ev_add(evs, id, q, f[2], "pending", now)
end
redis.call("ZREM", KEYS[1], unpack(ids))
redis.call("ZREM", KEYS[2], unpack(ids))
ix_flush(KEYS[5], ixadd, ixrem) -- redis-index
wake_leasers(ARGV[5])
ev_flush(ARGV[6], evs)
return #ids
