--[[
  TaskFailMany: running -> scheduled (a retry after backoff) or failed (dead), for tasks of ONE
  queue, each fenced by its lease token. A failed attempt is charged: the attempt counter keeps
  the lease's increment, so max_attempts bounds how often a task runs.

  KEYS[1] running   KEYS[2] scheduled   KEYS[3] dead (ZSET id -> finished ms)   KEYS[4] fin (the finish log)
  KEYS[5] history of now's day (outcomes_add in Lib.lua: every failed attempt counts, retried or dead)
  KEYS[6] ix (the state index, see IX in Lib.lua)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")   ARGV[4] events channel   ARGV[5] queue
  ARGV[6] n, then n items of 6 values:
    id, lease token, error json, retry (1|0), delay override ms (-1: use the task's backoff
    with the next value), random in [0,1) for the jitter

  Returns a flat array, 3 values per item: code, state after ("" when not found), scheduled ms
  (0 unless scheduled). code 0 ok; 1 not found; 2 stale lease: nothing changed.
]]
local P, now, q, n = ARGV[1], tonumber(ARGV[2]), ARGV[5], tonumber(ARGV[6])
local out, evs, wake, failed = {}, {}, false, 0
local ixadd, ixrem = {}, {} -- redis-index (a running task is in no index: only adds)
local lim = limits_on(P) -- limits: slots held by the tasks that end
for i = 0, n - 1 do
  local o = 7 + i * 6
  local id, err = ARGV[o], ARGV[o + 2]
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "st", "tk", "at", "wk", "sa", "ty")
  if not f[1] then
    out[#out + 1] = 1; out[#out + 1] = ""; out[#out + 1] = 0
  elseif f[1] ~= "running" or f[2] ~= ARGV[o + 1] then
    out[#out + 1] = 2; out[#out + 1] = f[1]; out[#out + 1] = 0
  else
    local at = tonumber(f[3])
    failed = failed + 1
    hist_add(tkey, f[3], f[4], f[5], now, "failed", err)
    redis.call("HDEL", tkey, "tk", "dl", "wk")
    redis.call("HSET", tkey, "er", err)
    redis.call("ZREM", KEYS[1], id)
    if limits_leave(P, tkey, lim) then wake = true end -- limits
    local ma, bk, bb, bf, bc = retry_spec(tkey)
    if ARGV[o + 3] == "1" and at < tonumber(ma) then
      local delay = tonumber(ARGV[o + 4])
      if delay < 0 then delay = backoff_ms(bk, bb, bf, bc, at, tonumber(ARGV[o + 5])) end
      local sf = now + delay
      redis.call("HSET", tkey, "st", "scheduled", "sf", sf)
      redis.call("ZADD", KEYS[2], sf, id)
      ix_add(ixadd, "scheduled", id) -- redis-index
      wake = true
      ev_add(evs, id, q, f[6], "scheduled", now)
      out[#out + 1] = 0; out[#out + 1] = "scheduled"; out[#out + 1] = sf
    else
      redis.call("HSET", tkey, "st", "failed", "fa", now)
      redis.call("ZADD", KEYS[3], now, id)
      ix_add(ixadd, "failed", id) -- redis-index
      redis.call("RPUSH", KEYS[4], id, now)
      ev_add(evs, id, q, f[6], "failed", now)
      out[#out + 1] = 0; out[#out + 1] = "failed"; out[#out + 1] = 0
    end
  end
end
if failed > 0 then outcomes_add(KEYS[5], "f", now, failed) end
ix_flush(KEYS[6], ixadd, ixrem) -- redis-index
limits_flush(lim) -- limits
if wake then wake_leasers(ARGV[3]) end
ev_flush(ARGV[4], evs)
return out
