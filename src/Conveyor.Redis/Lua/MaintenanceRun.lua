--[[
  MaintenanceRun: upkeep of ONE queue, safe to run from many processes at once (each call is
  atomic, and every step only moves what is due at "now"):
    1. promote due scheduled tasks to ready;
    2. reclaim expired leases. An expired lease is a failed attempt ("lease_expired"): the worker
       died or hung, and counting it is what lets a task that kills its worker every time end in
       the dead-letter queue instead of looping forever. Attempts left: scheduled after the
       task's backoff; none left: failed (dead);
    3. retention: delete terminal tasks finished at or before their state's cutoff, then the oldest
       beyond their state's count (bounded memory);
    4. forget expired idempotency keys.

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] running   KEYS[4] done (unused: only unreleased builds wrote it)   KEYS[5] dead
  KEYS[6] ix (the state index, see IX in Lib.lua)     KEYS[7] meta        KEYS[8] idem      KEYS[9] idemexp   KEYS[10] fin (the finish log)
  KEYS[11] history of now's day (an expired lease is a failed attempt there too)
  KEYS[12] fin:succeeded   KEYS[13] fin:failed   KEYS[14] fin:cancelled (each state's finish log, see step 3)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] (unused)   ARGV[4] limit per step
  ARGV[5] random seed   ARGV[6] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")   ARGV[7] events channel   ARGV[8] queue
  ARGV[9] at most this many tasks deleted by this call
  ARGV[10] succeeded cutoff ms   ARGV[11] succeeded max count (-1: none)
  ARGV[12] failed cutoff ms      ARGV[13] failed max count
  ARGV[14] cancelled cutoff ms   ARGV[15] cancelled max count

  Returns { promoted, reclaimed, expired, retention step, expired id1, expired id2, ...,
  then per reclaimed lease: its type, 1 when dead (0: retried) }: retention step is the most
  log entries one retention move walked; when it reached the limit, the
  caller runs again. The reclaim pairs follow the "expired" ids.
]]
local P, now, cutoff, limit, q = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[8]
local evs, rnd = {}, prng(ARGV[5])
local promoted = promote_due(KEYS[1], KEYS[2], KEYS[7], P, q, now, limit, evs, KEYS[6])

local reclaimed, wake, reclaims = 0, promoted > 0, {}
local ixadd, ixrem = {}, {} -- redis-index
local lim = limits_on(P) -- limits: slots held by expired leases
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
    if limits_leave(P, tkey, lim) then wake = true end -- limits
    local ma, bk, bb, bf, bc = retry_spec(tkey)
    if at < tonumber(ma) then
      local sf = now + backoff_ms(bk, bb, bf, bc, at, rnd())
      redis.call("HSET", tkey, "st", "scheduled", "sf", sf)
      redis.call("ZADD", KEYS[2], sf, id)
      ix_add(ixadd, "scheduled", id) -- redis-index
      wake = true
      ev_add(evs, id, q, f[5], "scheduled", now)
      reclaims[#reclaims + 1] = f[5] or ""; reclaims[#reclaims + 1] = 0
    else
      redis.call("HSET", tkey, "st", "failed", "fa", now)
      redis.call("ZADD", KEYS[5], now, id)
      ix_add(ixadd, "failed", id) -- redis-index
      redis.call("RPUSH", KEYS[10], id, now)
      ev_add(evs, id, q, f[5], "failed", now)
      reclaims[#reclaims + 1] = f[5] or ""; reclaims[#reclaims + 1] = 1
    end
  end
end

if reclaimed > 0 then outcomes_add(KEYS[11], "f", now, reclaimed) end
ix_flush(KEYS[6], ixadd, ixrem) -- redis-index

local res = { promoted, reclaimed, 0, 0 }
local old, olds, succeeded, cancelled = {}, {}, 0, 0
local function delete_task(id, st)
  if st == "succeeded" then succeeded = succeeded + 1 elseif st == "cancelled" then cancelled = cancelled + 1 end
  -- limits (unique while active): the task's unique key goes with it, unless another task holds it now.
  local uk = redis.call("HGET", P .. id, "uk")
  if uk and redis.call("HGET", qtag(P) .. "uniq", uk) == id then redis.call("HDEL", qtag(P) .. "uniq", uk) end
  redis.call("DEL", P .. id)
  old[#old + 1] = id
  ix_rem(olds, st, id) -- redis-index
end

-- Retention, in two moves. First the intake: up to limit entries from the head of the finish log
-- move to their state's log, whatever their age, so that each state's
-- log is in finish order on its own and a state kept 30 days never stands in the way of one kept an
-- hour. A stale entry (task redriven, purged or finished again later, which appended a new entry) is
-- dropped. Then, per state, from the head of its log: delete while the entry is at or before the
-- state's cutoff or the state holds more than its count, at most "budget" tasks in all.
local slog = { succeeded = KEYS[12], failed = KEYS[13], cancelled = KEYS[14] }
local walked = 0
local log = redis.call("LRANGE", KEYS[10], 0, 2 * limit - 1)
local moved = {}
for i = 1, #log, 2 do
  local f = redis.call("HMGET", P .. log[i], "st", "fa")
  if slog[f[1]] and tonumber(f[2]) == tonumber(log[i + 1]) then
    local m = moved[f[1]] or {}
    m[#m + 1] = log[i]; m[#m + 1] = log[i + 1]
    moved[f[1]] = m
  end
end
if #log > 0 then redis.call("LTRIM", KEYS[10], #log, -1) end
walked = #log / 2

for st, m in pairs(moved) do fin_push(slog[st], m) end

local budget = tonumber(ARGV[9])
local kept = {
  succeeded = tonumber(redis.call("HGET", KEYS[7], "succeeded") or "0"),
  failed = redis.call("ZCARD", KEYS[5]),
  cancelled = tonumber(redis.call("HGET", KEYS[7], "cancelled") or "0"),
}
for k, st in ipairs({ "succeeded", "failed", "cancelled" }) do
  local cut, max = tonumber(ARGV[8 + 2 * k]), tonumber(ARGV[9 + 2 * k])
  if budget <= 0 then break end
  local n = kept[st]
  local head = redis.call("LRANGE", slog[st], 0, 2 * limit - 1)
  local popped = 0
  for i = 1, #head, 2 do
    if budget <= 0 then break end
    local at = tonumber(head[i + 1])
    if at > cut and (max < 0 or n <= max) then break end
    popped = popped + 2
    local f = redis.call("HMGET", P .. head[i], "st", "fa")
    if f[1] == st and tonumber(f[2]) == at then
      delete_task(head[i], st)
      n = n - 1
      budget = budget - 1
    end
  end
  if popped > 0 then redis.call("LTRIM", slog[st], popped, -1) end
  walked = math.max(walked, popped / 2)
end

if #old > 0 then
  zrem_many(KEYS[5], old)
  zrem_many(KEYS[6], olds) -- redis-index: the state index
  if succeeded > 0 then redis.call("HINCRBY", KEYS[7], "succeeded", -succeeded) end
  if cancelled > 0 then redis.call("HINCRBY", KEYS[7], "cancelled", -cancelled) end
end
for _, id in ipairs(old) do res[#res + 1] = id end
res[3] = #old
res[4] = walked
for _, x in ipairs(reclaims) do res[#res + 1] = x end

local keys = redis.call("ZRANGEBYSCORE", KEYS[9], "-inf", now, "LIMIT", 0, limit)
if #keys > 0 then
  redis.call("HDEL", KEYS[8], unpack(keys))
  redis.call("ZREM", KEYS[9], unpack(keys))
end

limits_flush(lim) -- limits
if wake then wake_leasers(ARGV[6]) end
ev_flush(ARGV[7], evs)
return res
