--[[
  Lib.lua: helpers prepended to every other script by ScriptCatalog (so each file stays a single
  EVALSHA body). Nothing here touches a key on its own: every key a helper writes is either
  passed in by the caller from its KEYS or is a task hash of the same queue (same hash tag, so
  the same cluster slot as the declared KEYS).

  Conventions shared by all scripts:
    * times are integer milliseconds since the Unix epoch, passed in by .NET (its TimeProvider);
    * P (task key prefix) is "<prefix>:{q:<queue>}:t:"; a task hash is P .. id;
    * states are their wire names: pending, scheduled, running, succeeded, failed, cancelled;
    * ready ZSET score = (9 - priority) * BAND + seq: priority 9 first, FIFO (seq) within it.
]]
local BAND = 1099511627776 -- 2^40: room for 2^40 enqueues per queue, all scores < 2^44 (exact doubles)

-- The task fields a lease reads (HMGET), in this order: every field of a task the lease does not
-- overwrite, except "fa" (a leased task is not finished), "id" (the lease knows it: it popped it),
-- "q" (the caller knows it) and "re" (only a succeeded task has a result, and it is never leased).
-- TaskLease answers these values and the id; TaskHash.LeaseRead in .NET is the same list.
-- ("la", the attempt's start in older hashes, is always equal to "sa" and no longer written; a hash
-- that has it keeps it harmlessly.) Reading only what is needed matters: HMGET on a listpack hash
-- scans it once per field, and each value is converted twice (into Lua, then into the reply).
local LEASE_READ = { "ty", "ar", "pr", "at", "ma", "bk", "bb", "bf", "bc", "to", "ik", "md",
  "er", "pg", "hi", "cr", "sf" }

local function ready_score(pr, seq)
  return (9 - (tonumber(pr) or 0)) * BAND + tonumber(seq)
end

-- Batched writes: one ZADD/ZREM per script call instead of one per task (unpack in chunks, well
-- below Lua's C stack limit).
local function zadd_many(key, pairs_)
  for i = 1, #pairs_, 1000 do
    redis.call("ZADD", key, unpack(pairs_, i, math.min(i + 999, #pairs_)))
  end
end

local function zrem_many(key, members)
  for i = 1, #members, 1000 do
    redis.call("ZREM", key, unpack(members, i, math.min(i + 999, #members)))
  end
end

-- Wake blocked leasers of the queue: spec is "<PUBLISH|SPUBLISH> <channel>" (sharded pub/sub keeps
-- the message on the queue's own shard in a cluster; the channel carries the queue's hash tag).
local function wake_leasers(spec)
  local sp = string.find(spec, " ", 1, true)
  redis.call(string.sub(spec, 1, sp - 1), string.sub(spec, sp + 1), "1")
end

-- Events: one PUBLISH per script call, lines "id \t queue \t type \t state \t ms". Pass "now" as
-- the ARGV string, not a number: Lua formats a number with sprintf("%.14g") at every concatenation.
local function ev_add(buf, id, q, ty, st, now)
  buf[#buf + 1] = id .. "\t" .. q .. "\t" .. (ty or "") .. "\t" .. st .. "\t" .. now
end

local function ev_flush(channel, buf)
  if #buf > 0 then redis.call("PUBLISH", channel, table.concat(buf, "\n")) end
end

-- Attempt history: a comma-joined list of JSON objects in field "hi" (.NET wraps it in [ ]).
-- The error detail (stack traces) is kept only on the task's "er", not in every history entry.
local function hist_entry(n, worker, started, finished, outcome, err)
  local e = '{"n":' .. n .. ',"w":' .. cjson.encode(worker or "") .. ',"s":' .. (started or 0) ..
    ',"f":' .. finished .. ',"o":"' .. outcome .. '"'
  if err and err ~= "" then
    local ok, obj = pcall(cjson.decode, err)
    if ok and type(obj) == "table" then
      e = e .. ',"e":' .. cjson.encode({ type = obj.type, message = obj.message })
    end
  end
  return e .. '}'
end

-- The history with one more entry; h is the current "hi" (false/nil/"" when empty).
local function hist_append(h, entry)
  if h and h ~= "" then return h .. "," .. entry end
  return entry
end

local function hist_add(tkey, n, worker, started, finished, outcome, err)
  local h = redis.call("HGET", tkey, "hi")
  redis.call("HSET", tkey, "hi", hist_append(h, hist_entry(n, worker, started, finished, outcome, err)))
end

-- The backoff rule of BackoffPolicy.DelayAfter, in ms; r is a uniform random in [0,1) from .NET.
local function backoff_ms(kind, base, factor, cap, failed_attempt, r)
  if kind == "none" then return 0 end
  base = tonumber(base) or 0
  if kind == "fixed" then return base end
  cap = tonumber(cap) or 0
  local exp = math.max(0, failed_attempt - 1)
  if exp > 64 then exp = 64 end
  local ceil = math.min(cap, base * math.pow(tonumber(factor) or 2, exp))
  if ceil ~= ceil or ceil < 0 then ceil = cap end
  return math.floor(ceil * r)
end

-- Move due scheduled tasks (score <= now) into ready, oldest due first. Returns how many.
local function promote_due(ready, scheduled, meta, P, q, now, limit, evs)
  local due = redis.call("ZRANGEBYSCORE", scheduled, "-inf", now, "LIMIT", 0, limit)
  if #due == 0 then return 0 end
  local seq = redis.call("HINCRBY", meta, "seq", #due) - #due
  local adds = {}
  for _, id in ipairs(due) do
    local tkey = P .. id
    local f = redis.call("HMGET", tkey, "pr", "ty")
    seq = seq + 1
    redis.call("HSET", tkey, "st", "pending", "sq", seq)
    adds[#adds + 1] = ready_score(f[1], seq); adds[#adds + 1] = id
    if evs then ev_add(evs, id, q, f[2], "pending", now) end
  end
  zadd_many(ready, adds)
  zrem_many(scheduled, due)
  return #due
end

-- A small deterministic PRNG (Park-Miller) seeded from .NET: Redis Lua's math.random is not a
-- source to rely on. All products stay below 2^53, so doubles keep them exact.
local function prng(seed)
  local x = (tonumber(seed) or 1) % 2147483647
  if x <= 0 then x = x + 2147483646 end
  return function()
    x = (x * 16807) % 2147483647
    return (x - 1) / 2147483646
  end
end
