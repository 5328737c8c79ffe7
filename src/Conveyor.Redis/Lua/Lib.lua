--[[
  Lib.lua: helpers prepended to the other scripts by ScriptCatalog (so each file stays a single
  EVALSHA body), each script getting only the definitions it names (LuaPrelude.cs). So the top
  level holds only "local" definitions and "--" comments: a definition is the comment lines just
  above its "local" line, through the "end" in column 0 of a function or the next blank line of a
  value. Nothing here touches a key on its own: every key a helper writes is either
  passed in by the caller from its KEYS or is a task hash of the same queue (same hash tag, so
  the same cluster slot as the declared KEYS).

  Conventions shared by all scripts:
    * times are integer milliseconds since the Unix epoch, passed in by .NET (its TimeProvider);
    * P (task key prefix) is "<prefix>:{q:<queue>}:t:"; a task hash is P .. id;
    * states are their wire names: pending, scheduled, running, succeeded, failed, cancelled;
    * ready ZSET score = (9 - priority) * BAND + seq: priority 9 first, FIFO (seq) within it.
]]
local BAND = 1099511627776 -- 2^40: room for 2^40 enqueues per queue, all scores < 2^44 (exact doubles)

-- The task hash. Fields a task is born with and never changes live packed in one value, "sp" (the
-- spec), so a lease reads and answers 7 values instead of 17: on a listpack hash every field read
-- is a scan (HMGET looks each field up from the start), and every value read is converted twice
-- (into Lua, then into the reply). In W1 the 17-field read was a quarter of Redis's CPU.
--   sp = ma "|" bk "|" bb "|" bf "|" bc "|" to "|" cr "|" md [ "\n" ik ]
--     ma max attempts; bk backoff kind (e exponential, f fixed, n none); bb base ms; bf factor;
--     bc cap ms; to timeout ms; cr created ms; md metadata JSON ("" for none; compact JSON has no
--     raw newline); ik the idempotency key, only when there is one (it may hold any character, so
--     it comes last). .NET writes and parses it (TaskHash.Spec); Lua reads its numbers only to
--     retry (retry_spec).
-- Other fields: id, q, ty (type), pr (priority), st (state), at (attempt), sf (scheduled for ms),
-- ar (args JSON), sq (ready seq); while running tk (lease token), dl (deadline ms), wk (worker),
-- sa (attempt started ms); then fa (finished ms), re (result), er (last error), pg (progress),
-- hi (attempt history, see hist_entry).
-- Every hash has "sp": the development builds that wrote its nine fields one by one were never
-- released, and their readers are gone (layout 2, RedisTaskStore.Layout.cs).
--
-- A lease reads LEASE_READ, then reads "er" and deletes "pg" (progress is the attempt's) only when
-- "hi" is there: a task that has an error or progress has had an attempt end (failed, lease expired
-- or released), and each of those appends to "hi". A fresh task has none of the three, and a field a
-- hash lacks is the dearest HMGET lookup (a scan to the end). TaskHash.LeaseRead in .NET is the same
-- list.
local LEASE_READ = { "ty", "pr", "at", "sp", "ar", "sf", "hi" }

-- Numbers made into strings: tostring and concatenation format with sprintf("%.14g"), the slow
-- floating-point path; string.format("%d") takes the integer one. A lease's next attempt number is
-- nearly always one of these (measured: about 0.5 us per leased task less).
local NEXT_ATTEMPT = { ["0"] = "1", ["1"] = "2", ["2"] = "3", ["3"] = "4", ["4"] = "5", ["5"] = "6",
  ["6"] = "7", ["7"] = "8", ["8"] = "9" }

local BACKOFF_WIRE = { e = "exponential", f = "fixed", n = "none" }

-- What a retry needs of the spec: max attempts, backoff kind (wire name), base, factor, cap.
local function retry_spec(tkey)
  local sp = redis.call("HGET", tkey, "sp") or ""
  local ma, bk, bb, bf, bc = string.match(sp, "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|")
  return ma or "0", BACKOFF_WIRE[bk] or "exponential", bb, bf, bc
end

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

-- The finish log (key "fin"): every task that reaches a terminal state is appended as two list
-- elements, its id and its finish ms, in one RPUSH per script call. Retention (MaintenanceRun) walks
-- it from the head. An entry goes stale when its task is redriven or purged: retention drops an
-- entry whose task is gone, not terminal, or finished at another time than the entry says. An append
-- is O(1) and no hashing: the sorted set used before ("done", id -> finish ms) cost a skiplist insert
-- and a dict insert per task, about 2 us of the 7 a completion cost Redis.
local function fin_push(key, pairs_)
  for i = 1, #pairs_, 1000 do
    redis.call("RPUSH", key, unpack(pairs_, i, math.min(i + 999, #pairs_)))
  end
end

-- redis-index: the state index (key "ix", RedisKeys.StateIndex), what TaskList reads: a ZSET of
-- score 0 whose members are a state's letter followed by the task id, so the ids of one state are
-- one lexical range in id order (UUIDv7: creation order), read newest first with ZREVRANGEBYLEX from
-- a cursor. Every script that creates, moves or deletes a task keeps it, in the same call (ix_add and
-- ix_rem collect the members, ix_flush writes them: one ZREM and one ZADD per call). Running tasks
-- are not in it: the "running" set holds exactly them and is as large as what workers hold leased,
-- so TaskList reads that set, and a lease and its acknowledgement each pay one index write, not two.
-- A new state gets a letter here (RedisTaskStore.Layout.cs lists them).
local IX = { pending = "p", scheduled = "d", succeeded = "s", failed = "f", cancelled = "c",
  expired = "x", waiting = "w" }

local function ix_add(adds, st, id)
  local l = IX[st]
  if l then adds[#adds + 1] = "0"; adds[#adds + 1] = l .. id end
end

local function ix_rem(rems, st, id)
  local l = IX[st]
  if l then rems[#rems + 1] = l .. id end
end

-- One task from state "from" to state "to" (either nil: created or deleted), written at once.
local function ix_move(key, id, from, to)
  if from and IX[from] then redis.call("ZREM", key, IX[from] .. id) end
  if to and IX[to] then redis.call("ZADD", key, "0", IX[to] .. id) end
end

local function ix_flush(key, adds, rems)
  if #rems > 0 then zrem_many(key, rems) end
  if #adds > 0 then zadd_many(key, adds) end
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

-- expiry: (issue 14 item 4) end the queue's pending and scheduled tasks whose expires_at (ZSET "exp",
-- id -> ms) is at or before now: state "expired", "fa" now, "er" the reason, out of ready/scheduled,
-- letter x in the state index, an entry in "fin:expired", meta "expired" + 1. An id whose task has
-- started, ended or gone meanwhile just leaves "exp" (a task that started in time never expires).
-- Costs one ZRANGEBYSCORE on an empty key for a queue without expiring tasks. Returns the types of
-- the tasks it ended (one entry per task).
local function expire_due(exp, ready, sched, finx, meta, ix, P, q, nows, limit, evs)
  local due = redis.call("ZRANGEBYSCORE", exp, "-inf", nows, "WITHSCORES", "LIMIT", 0, limit)
  if #due == 0 then return {} end
  local types, rems, adds, fins, gone = {}, {}, {}, {}, {}
  for i = 1, #due, 2 do
    local id = due[i]
    local tkey = P .. id
    gone[#gone + 1] = id
    local f = redis.call("HMGET", tkey, "st", "ty")
    if f[1] == "pending" or f[1] == "scheduled" then
      redis.call("ZREM", f[1] == "pending" and ready or sched, id)
      redis.call("HSET", tkey, "st", "expired", "fa", nows,
        "er", cjson.encode({ type = "expired", message = "not started before its expires_at" }))
      ix_rem(rems, f[1], id); ix_add(adds, "expired", id)
      fins[#fins + 1] = id; fins[#fins + 1] = nows
      ev_add(evs, id, q, f[2], "expired", nows)
      types[#types + 1] = f[2] or ""
    end
  end
  zrem_many(exp, gone)
  ix_flush(ix, adds, rems)
  if #fins > 0 then
    fin_push(finx, fins)
    redis.call("HINCRBY", meta, "expired", #types)
  end
  return types
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

-- Move due scheduled tasks (score <= now) into ready, oldest due first, and in ix (the state index).
-- Returns how many.
local function promote_due(ready, scheduled, meta, P, q, now, limit, evs, ix)
  local due = redis.call("ZRANGEBYSCORE", scheduled, "-inf", now, "LIMIT", 0, limit)
  if #due == 0 then return 0 end
  local seq = redis.call("HINCRBY", meta, "seq", #due) - #due
  local adds, ixadd, ixrem = {}, {}, {}
  for _, id in ipairs(due) do
    local tkey = P .. id
    local f = redis.call("HMGET", tkey, "pr", "ty")
    seq = seq + 1
    redis.call("HSET", tkey, "st", "pending", "sq", seq)
    adds[#adds + 1] = ready_score(f[1], seq); adds[#adds + 1] = id
    ix_rem(ixrem, "scheduled", id); ix_add(ixadd, "pending", id)
    if evs then ev_add(evs, id, q, f[2], "pending", now) end
  end
  zadd_many(ready, adds)
  zrem_many(scheduled, due)
  ix_flush(ix, ixadd, ixrem)
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

-- Outcome history (HistoryList): adds n outcomes of kind "s" (succeeded) or "f" (failed) to the
-- minute of now in key, the queue's hash of now's UTC day (RedisKeys.HistoryAt, passed in KEYS by
-- .NET from the same now). One HINCRBY per queue per script call; the first count of a minute also
-- sets the key to expire 8 days after its day ends (HistoryListParams.Keep), so memory is bounded.
local function outcomes_add(key, kind, now, n)
  local minute = math.floor(tonumber(now) / 60000)
  if redis.call("HINCRBY", key, kind .. (minute % 1440), n) == n then
    redis.call("EXPIREAT", key, (math.floor(minute / 1440) + 9) * 86400)
  end
end
