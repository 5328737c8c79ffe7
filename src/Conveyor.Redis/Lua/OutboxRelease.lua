--[[
  OutboxRelease: TaskReleaseMany for a queue delivered from outside (RabbitMQ): running -> pending
  without charging the attempt, fenced by the lease token, but with a FRESH seq, so the released
  task lands past the outbox watermark (OutboxTake) in the same script: a crash after the release
  cannot strand it. (The delivery's queue has no "original place" to return to anyway.) The limit
  slots it held are given back, as TaskReleaseMany does (a parked task takes its place, fresh seq).

  KEYS[1] running   KEYS[2] ready   KEYS[3] meta   KEYS[4] ix (the state index)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] events channel   ARGV[4] queue
  ARGV[5] n, then n items of 2 values: id, lease token

  Returns a flat array, 2 values per item: code, state after. code 0 ok; 1 not found; 2 stale.
]]
local P, now, q, n = ARGV[1], tonumber(ARGV[2]), ARGV[4], tonumber(ARGV[5])
local out, evs = {}, {}
local lim = limits_on(P)
for i = 0, n - 1 do
  local o = 6 + i * 2
  local id = ARGV[o]
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "st", "tk", "at", "wk", "sa", "ty", "pr")
  if not f[1] then
    out[#out + 1] = 1; out[#out + 1] = ""
  elseif f[1] ~= "running" or f[2] ~= ARGV[o + 1] then
    out[#out + 1] = 2; out[#out + 1] = f[1]
  else
    hist_add(tkey, f[3], f[4], f[5], now, "released", nil)
    local seq = redis.call("HINCRBY", KEYS[3], "seq", 1)
    redis.call("HINCRBY", tkey, "at", -1)
    redis.call("HSET", tkey, "st", "pending", "sq", seq)
    redis.call("HDEL", tkey, "tk", "dl", "wk")
    redis.call("ZREM", KEYS[1], id)
    limits_leave(P, tkey, lim)
    redis.call("ZADD", KEYS[2], ready_score(f[7], seq), id)
    ix_move(KEYS[4], id, "running", "pending") -- redis-index
    ev_add(evs, id, q, f[6], "pending", now)
    out[#out + 1] = 0; out[#out + 1] = "pending"
  end
end
limits_wake(lim, true)
ev_flush(ARGV[3], evs)
return out
