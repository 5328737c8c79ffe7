--[[
  TaskReleaseMany: running -> pending without charging the attempt (attempt - 1), for tasks of
  ONE queue, fenced by the lease token. A draining worker hands work back: the task goes back to
  its original place in the ready order (its seq), so a release never sends it to the back.

  KEYS[1] running   KEYS[2] ready   KEYS[3] ix (the state index, see IX in Lib.lua)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")   ARGV[4] events channel   ARGV[5] queue
  ARGV[6] n, then n items of 2 values: id, lease token

  Returns a flat array, 2 values per item: code, state after. code 0 ok; 1 not found; 2 stale.
]]
local P, now, q, n = ARGV[1], tonumber(ARGV[2]), ARGV[5], tonumber(ARGV[6])
local out, evs = {}, {}
local lim = limits_on(P) -- limits: slots held by the tasks that end
for i = 0, n - 1 do
  local o = 7 + i * 2
  local id = ARGV[o]
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "st", "tk", "at", "wk", "sa", "ty", "pr", "sq")
  if not f[1] then
    out[#out + 1] = 1; out[#out + 1] = ""
  elseif f[1] ~= "running" or f[2] ~= ARGV[o + 1] then
    out[#out + 1] = 2; out[#out + 1] = f[1]
  else
    hist_add(tkey, f[3], f[4], f[5], now, "released", nil)
    redis.call("HINCRBY", tkey, "at", -1)
    redis.call("HSET", tkey, "st", "pending")
    redis.call("HDEL", tkey, "tk", "dl", "wk")
    redis.call("ZREM", KEYS[1], id)
    limits_leave(P, tkey, lim) -- limits (the release wakes leasers anyway)
    redis.call("ZADD", KEYS[2], ready_score(f[7], f[8]), id)
    ix_move(KEYS[3], id, "running", "pending") -- redis-index
    ev_add(evs, id, q, f[6], "pending", now)
    out[#out + 1] = 0; out[#out + 1] = "pending"
  end
end
limits_flush(lim) -- limits
if #evs > 0 then wake_leasers(ARGV[3]) end
ev_flush(ARGV[4], evs)
return out
