--[[
  TaskCancel: pending/scheduled -> cancelled at once; running -> cancelled with the lease fenced
  off (the token moves to "ct": complete/fail/release with it are stale, the next heartbeat with
  it answers "cancel requested" so the worker fires the handler's token).

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] running   KEYS[4] fin (the finish log)   KEYS[5] meta
  KEYS[6] ix (the state index, see IX in Lib.lua)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] id   ARGV[4] events channel   ARGV[5] queue

  Returns { code, task hash (flat field/value array) }:
    0 cancelled; 1 cancelled while running; 2 already terminal (nothing changed); 3 not found ({3}).
]]
local P, now, id, q = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[5]
local tkey = P .. id
local f = redis.call("HMGET", tkey, "st", "tk", "at", "wk", "sa", "ty")
if not f[1] then return { 3 } end
local st = f[1]
if st == "succeeded" or st == "failed" or st == "cancelled" or st == "expired" then -- expiry: terminal too
  return { 2, task_fields(P, id) }
end
local code = 0
if st == "running" then
  code = 1
  hist_add(tkey, f[3], f[4], f[5], now, "cancelled", nil)
  redis.call("HSET", tkey, "ct", f[2])
  redis.call("HDEL", tkey, "tk", "dl", "wk")
  redis.call("ZREM", KEYS[3], id)
  local lim = limits_on(P) -- limits: the slots it held free now
  limits_wake(lim, limits_leave(P, tkey, lim))
elseif st == "pending" then
  redis.call("ZREM", KEYS[1], id)
else
  redis.call("ZREM", KEYS[2], id)
end
redis.call("HSET", tkey, "st", "cancelled", "fa", now)
ix_move(KEYS[6], id, st, "cancelled") -- redis-index
redis.call("RPUSH", KEYS[4], id, now)
redis.call("HINCRBY", KEYS[5], "cancelled", 1)
local evs = {}
ev_add(evs, id, q, f[6], "cancelled", now)
ev_flush(ARGV[4], evs)
return { code, task_fields(P, id) }
