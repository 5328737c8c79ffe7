--[[
  TaskRetryMany: "retry now" for tasks of ONE queue. Scheduled -> pending now, the attempt count
  kept; failed (dead) or cancelled -> pending with the attempt count reset to 0 as
  DeadLetterRedrive does (history and last error kept; the finish-log entry goes stale and
  retention drops it). Each moved task gets a fresh FIFO position.

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] dead   KEYS[4] done (legacy)   KEYS[5] meta
  KEYS[6] ix (the state index, see IX in Lib.lua)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")
  ARGV[4] events channel   ARGV[5] queue   ARGV[6..] ids

  Returns, per id in input order, { code, state }: 0 retried (state "pending"); 1 not found
  (state ""); 2 pending, running or succeeded: nothing changed (state: the task's).
]]
local P, now, q = ARGV[1], tonumber(ARGV[2]), ARGV[5]
local out, evs, moved = {}, {}, 0
for i = 6, #ARGV do
  local id = ARGV[i]
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "st", "pr", "ty")
  local st = f[1]
  if not st then
    out[#out + 1] = { 1, "" }
  elseif st == "scheduled" or st == "failed" or st == "cancelled" then
    local seq = redis.call("HINCRBY", KEYS[5], "seq", 1)
    if st == "scheduled" then
      redis.call("ZREM", KEYS[2], id)
      redis.call("HSET", tkey, "st", "pending", "sq", seq, "sf", now)
    else
      if st == "failed" then
        redis.call("ZREM", KEYS[3], id)
      else
        redis.call("HINCRBY", KEYS[5], "cancelled", -1)
      end
      redis.call("ZREM", KEYS[4], id)
      redis.call("HSET", tkey, "st", "pending", "at", 0, "sq", seq, "sf", now)
      redis.call("HDEL", tkey, "fa", "tk", "dl", "wk", "ct")
    end
    redis.call("ZADD", KEYS[1], ready_score(f[2], seq), id)
    ix_move(KEYS[6], id, st, "pending") -- redis-index
    ev_add(evs, id, q, f[3], "pending", ARGV[2])
    moved = moved + 1
    out[#out + 1] = { 0, "pending" }
  else
    out[#out + 1] = { 2, st }
  end
end
if moved > 0 then wake_leasers(ARGV[3]) end
ev_flush(ARGV[4], evs)
return out
