--[[
  MaintenanceRun: upkeep of ONE queue, safe to run from many processes at once (each call is
  atomic, and every step only moves what is due at "now"):
    1. promote due scheduled tasks to ready;
    2. reclaim expired leases. An expired lease is a failed attempt ("lease_expired"): the worker
       died or hung, and counting it is what lets a task that kills its worker every time end in
       the dead-letter queue instead of looping forever. Attempts left: scheduled after the
       task's backoff; none left: failed (dead);
    3. delete terminal tasks finished at or before the retention cutoff (bounded memory);
    4. forget expired idempotency keys.

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] running   KEYS[4] done (legacy, see below)   KEYS[5] dead
  KEYS[6] all     KEYS[7] meta        KEYS[8] idem      KEYS[9] idemexp   KEYS[10] fin (the finish log)
  KEYS[11] history of now's day (an expired lease is a failed attempt there too)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] retention cutoff ms   ARGV[4] limit per step
  ARGV[5] random seed   ARGV[6] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")   ARGV[7] events channel   ARGV[8] queue

  Returns { promoted, reclaimed, expired, retention step, expired id1, expired id2, ...,
  then per reclaimed lease: its type, 1 when dead (0: retried) }: retention step is how many
  finish-log entries (or legacy "done" members) the retention step walked; when it reached the
  limit, the caller runs again. The reclaim pairs follow the "expired" ids.
]]
local P, now, cutoff, limit, q = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[8]
local evs, rnd = {}, prng(ARGV[5])
local promoted = promote_due(KEYS[1], KEYS[2], KEYS[7], P, q, now, limit, evs)

local reclaimed, wake, reclaims = 0, promoted > 0, {}
local expired_leases = redis.call("ZRANGEBYSCORE", KEYS[3], "-inf", now, "LIMIT", 0, limit)
for _, id in ipairs(expired_leases) do
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "st", "at", "wk", "sa", "ty")
  redis.call("ZREM", KEYS[3], id)
  if f[1] == "running" then
    reclaimed = reclaimed + 1
    local at = tonumber(f[2])
    local err = cjson.encode({ type = "lease_expired",
      message = "the lease of worker '" .. (f[3] or "?") .. "' expired before the attempt was acknowledged" })
    hist_add(tkey, f[2], f[3], f[4], now, "lease_expired", err)
    redis.call("HDEL", tkey, "tk", "dl", "wk")
    redis.call("HSET", tkey, "er", err)
    local ma, bk, bb, bf, bc = retry_spec(tkey)
    if at < tonumber(ma) then
      local sf = now + backoff_ms(bk, bb, bf, bc, at, rnd())
      redis.call("HSET", tkey, "st", "scheduled", "sf", sf)
      redis.call("ZADD", KEYS[2], sf, id)
      wake = true
      ev_add(evs, id, q, f[5], "scheduled", now)
      reclaims[#reclaims + 1] = f[5] or ""; reclaims[#reclaims + 1] = 0
    else
      redis.call("HSET", tkey, "st", "failed", "fa", now)
      redis.call("ZADD", KEYS[5], now, id)
      redis.call("RPUSH", KEYS[10], id, now)
      ev_add(evs, id, q, f[5], "failed", now)
      reclaims[#reclaims + 1] = f[5] or ""; reclaims[#reclaims + 1] = 1
    end
  end
end

if reclaimed > 0 then outcomes_add(KEYS[11], "f", now, reclaimed) end

local res = { promoted, reclaimed, 0, 0 }
local old, succeeded, cancelled = {}, 0, 0
local function delete_task(id, st)
  if st == "succeeded" then succeeded = succeeded + 1 elseif st == "cancelled" then cancelled = cancelled + 1 end
  redis.call("DEL", P .. id)
  old[#old + 1] = id
end

-- The finish log, from its head: up to limit entries finished at or before the cutoff. Entries are
-- in append order, so the walk stops at the first one that is newer (brokers' clocks may differ by
-- a little; such an entry waits that long). A stale entry (task redriven, purged or finished again
-- later, which appended a new entry) is dropped without deleting anything.
local log = redis.call("LRANGE", KEYS[10], 0, 2 * limit - 1)
local walked = 0
for i = 1, #log, 2 do
  local at = tonumber(log[i + 1])
  if at > cutoff then break end
  walked = walked + 2
  local f = redis.call("HMGET", P .. log[i], "st", "fa")
  if (f[1] == "succeeded" or f[1] == "failed" or f[1] == "cancelled") and tonumber(f[2]) == at then
    delete_task(log[i], f[1])
  end
end
if walked > 0 then redis.call("LTRIM", KEYS[10], walked, -1) end

-- Terminal tasks that versions before the finish log recorded in the "done" sorted set.
local legacy = redis.call("ZRANGEBYSCORE", KEYS[4], "-inf", cutoff, "LIMIT", 0, limit)
for _, id in ipairs(legacy) do
  delete_task(id, redis.call("HGET", P .. id, "st"))
end
if #legacy > 0 then redis.call("ZREM", KEYS[4], unpack(legacy)) end

if #old > 0 then
  zrem_many(KEYS[5], old)
  zrem_many(KEYS[6], old)
  if succeeded > 0 then redis.call("HINCRBY", KEYS[7], "succeeded", -succeeded) end
  if cancelled > 0 then redis.call("HINCRBY", KEYS[7], "cancelled", -cancelled) end
end
for _, id in ipairs(old) do res[#res + 1] = id end
res[3] = #old
res[4] = math.max(walked / 2, #legacy)
for _, x in ipairs(reclaims) do res[#res + 1] = x end

local keys = redis.call("ZRANGEBYSCORE", KEYS[9], "-inf", now, "LIMIT", 0, limit)
if #keys > 0 then
  redis.call("HDEL", KEYS[8], unpack(keys))
  redis.call("ZREM", KEYS[9], unpack(keys))
end

if wake then wake_leasers(ARGV[6]) end
ev_flush(ARGV[7], evs)
return res
