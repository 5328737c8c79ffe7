--[[
  TaskLeaseByIds: lease the named tasks of ONE queue, those still ready, as TaskLease does (the
  outside delivery handed their ids over; this record is the lease and the fence, never the
  delivery's own tag). A task that is not ready (cancelled, deleted, expired, already running from a
  duplicate message) is answered false: its message is spent.
  Expiry: the queue's tasks past their expires_at are ended first (expire_due, as TaskLease), so an
  expired task's message delivered late is spent and the task never runs.
  Limits: with the queue's limits ("lim" in meta), each task is checked against every limit here,
  atomically with its lease, in the order the delivery handed them over. Within them it is leased and
  holds its slots ("lh", as limits_pick writes). Over one (keyed or queue-wide) it is parked in the
  records, in the slot's "lw:" set as limits_pick parks, and answered false: its message is spent, the
  records hold the task. meta "xd" marks the queue, so when the slot frees (limits_flush) or the rate
  window reopens (OutboxTake) limit_unpark gives it a fresh seq and the outbox publishes it again.

  KEYS[1] ready   KEYS[2] running (ZSET id -> lease deadline ms)   KEYS[3] meta   KEYS[4] ix (the state index)
  KEYS[5] scheduled   KEYS[6] exp   KEYS[7] fin:expired (expiry)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] lease duration ms   ARGV[4] worker id
  ARGV[5] token prefix ("<queue>/<nonce>."; the token is prefix .. n for the n-th id asked)
  ARGV[6] events channel   ARGV[7] queue   ARGV[8..] the ids

  Returns { code, entry1, entry2, ... }: code -2 the queue is paused (nothing leased), else 0; one
  entry per id asked, in order: false, or the 7 values of LEASE_READ then er and the id, as TaskLease.
]]
local P, nows, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = tonumber(nows)
local worker, q = ARGV[4], ARGV[7]
local meta = redis.call("HMGET", KEYS[3], "paused", "lim")
if meta[1] == "1" then return { -2 } end
local evs = {}
expire_due(KEYS[6], KEYS[1], KEYS[5], KEYS[7], KEYS[3], KEYS[4], P, q, nows, 1000, evs)

-- Limits (nil without): the queue's limits, running counts read once per slot, written at the end.
local L = nil
if meta[2] then
  L = { T = qtag(P), lims = limits_load(qtag(P)), run = {}, added = {}, args = false, parked = false }
  for _, l in ipairs(L.lims) do
    if l.key and l.key ~= cjson.null and string.sub(l.key, 1, 5) == "args." then L.args = true end
  end
end

local function has(v) return v ~= nil and v ~= cjson.null end

local function running(l, key)
  local slot = l.name .. "\31" .. key
  local n = L.run[slot]
  if n == nil then
    n = tonumber(redis.call("HGET", L.T .. "lu:run:" .. l.name, key) or "0")
    L.run[slot] = n
  end
  return n, slot
end

-- The slots a task takes ({ limit, key value } each), or nil, the slot it waits for, and when that
-- slot's rate window reopens (0: a concurrency; a finishing task frees it).
local function check(tkey)
  local h = L.args and redis.call("HMGET", tkey, "sp", "ar") or { redis.call("HGET", tkey, "sp") }
  local md = h[1] and string.match(h[1], "^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|([^\n]*)") or ""
  local slots = {}
  for _, l in ipairs(L.lims) do
    local key = ""
    if has(l.key) then key = limit_value(l.key, md, h[2]) end
    if key then
      local slot = l.name .. "\31" .. key
      if has(l.concurrency) and running(l, key) >= l.concurrency then return nil, slot, 0 end
      if has(l.rate) then
        local s, c = limit_window(L.T, l, key, now)
        if c >= l.rate then return nil, slot, s + l.interval * 1000 end
      end
      slots[#slots + 1] = { l, key }
    end
  end
  return slots
end

-- Takes the slots: a start in each rate window now, a running count each (written at the end).
-- Returns "lh" (the concurrency slots held, "\30"-joined) or nil.
local function take(slots)
  local held = {}
  for _, sl in ipairs(slots) do
    local l, key = sl[1], sl[2]
    if has(l.concurrency) then
      local _, slot = running(l, key)
      L.run[slot] = L.run[slot] + 1
      L.added[slot] = (L.added[slot] or 0) + 1
      held[#held + 1] = slot
    end
    if has(l.rate) then
      local s, c = limit_window(L.T, l, key, now)
      local ttl = math.max(1, math.floor(s + l.interval * 1000 - now))
      redis.call("SET", L.T .. "lu:win:" .. l.name .. "\31" .. key, string.format("%d:%d", s, c + 1), "PX", ttl)
    end
  end
  return #held > 0 and table.concat(held, "\30") or nil
end

local res = { 0 }
local dl = tostring(now + lease)
local running_, ixrem = {}, {}
for i = 8, #ARGV do
  local id = ARGV[i]
  local tkey = P .. id
  local ready, lh = false, nil
  if L then
    local score = redis.call("ZSCORE", KEYS[1], id)
    if score then
      redis.call("ZREM", KEYS[1], id)
      local slots, slot, reopen = check(tkey)
      if slots then
        ready, lh = true, take(slots)
      else
        redis.call("ZADD", L.T .. "lw:" .. slot, score, id)
        redis.call("SADD", L.T .. "lwset", slot)
        redis.call("HINCRBY", KEYS[3], "lp", 1)
        if reopen > 0 then redis.call("ZADD", L.T .. "lreopen", "LT", reopen, slot) end
        L.parked = true
      end
    end
  else
    ready = redis.call("ZREM", KEYS[1], id) == 1
  end
  if ready then
    local h = redis.call("HMGET", tkey, unpack(LEASE_READ))
    lease_read_done(tkey, id, h)
    local at = NEXT_ATTEMPT[h[3]] or string.format("%d", (tonumber(h[3]) or 0) + 1)
    local tok = ARGV[5] .. string.format("%d", i - 7)
    if lh then
      redis.call("HSET", tkey, "st", "running", "at", at, "tk", tok, "dl", dl, "wk", worker, "sa", nows, "lh", lh)
    else
      redis.call("HSET", tkey, "st", "running", "at", at, "tk", tok, "dl", dl, "wk", worker, "sa", nows)
    end
    running_[#running_ + 1] = dl; running_[#running_ + 1] = id
    ixrem[#ixrem + 1] = "p" .. id -- redis-index: out of the state index (running tasks are not in it)
    res[#res + 1] = h
    ev_add(evs, id, q, h[1], "running", nows)
  else
    res[#res + 1] = false
  end
end
if L then
  for slot, n in pairs(L.added) do
    local name, key = string.match(slot, "^([^\31]*)\31(.*)$")
    redis.call("HINCRBY", L.T .. "lu:run:" .. name, key, n)
  end
  if L.parked then redis.call("HSET", KEYS[3], "xd", "1") end
end
zadd_many(KEYS[2], running_)
if #ixrem > 0 then zrem_many(KEYS[4], ixrem) end -- redis-index
ev_flush(ARGV[6], evs)
return res
