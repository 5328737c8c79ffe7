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
-- Other fields: ty (type), pr (priority), st (state), at (attempt), sf (scheduled for ms),
-- ar (args JSON), sq (ready seq); while running tk (lease token), dl (deadline ms), wk (worker),
-- sa (attempt started ms); then fa (finished ms), re (result), er (last error), pg (progress),
-- hi (attempt history, see hist_entry).
-- Every hash has "sp": the development builds that wrote its nine fields one by one were never
-- released, and their readers are gone (layout 2, RedisTaskStore.Layout.cs).
-- memory: the id and the queue are not fields (layout 3): the key says both (P .. id); nor is the
-- attempt before the first lease ("at" absent reads as 0), nor "sf" while it is the created time in
-- the spec (a task submitted without run_at: scheduled_sf reads it), so a pending no-op task's
-- listpack is 6 fields, in jemalloc's 112-B class whatever its seq, instead of 10 fields in the 192-B
-- one. A script that answers a hash answers task_fields (the id appended); .NET adds the queue.
--
-- A lease reads LEASE_READ, then reads "er" and deletes "pg" (progress is the attempt's) only when
-- "hi" is there: a task that has an error or progress has had an attempt end (failed, lease expired
-- or released), and each of those appends to "hi". A fresh task has none of the three, and a field a
-- hash lacks is the dearest HMGET lookup (a scan to the end). TaskHash.LeaseRead in .NET is the same
-- list.
local LEASE_READ = { "ty", "pr", "at", "sp", "ar", "sf", "hi" }

-- Numbers made into strings: tostring and concatenation format with sprintf("%.14g"), the slow
-- floating-point path; string.format("%d") takes the integer one. A lease's next attempt number is
-- nearly always one of these (measured: about 0.5 us per leased task less). memory: [false] is a task
-- never leased, whose hash has no "at" (HMGET answers false).
local NEXT_ATTEMPT = { [false] = "1", ["0"] = "1", ["1"] = "2", ["2"] = "3", ["3"] = "4", ["4"] = "5", ["5"] = "6",
  ["6"] = "7", ["7"] = "8", ["8"] = "9" }

-- A lease's read of one task completed (h: the HMGET of LEASE_READ's fields, in its order): "er" is
-- read and "pg" deleted only when "hi" is there (see LEASE_READ), then the id goes in h[9]. Shared by
-- TaskLease, TaskLeaseByIds and park_handoff.
local function lease_read_done(tkey, id, h)
  if h[7] then
    h[8] = redis.call("HGET", tkey, "er")
    redis.call("HDEL", tkey, "pg")
  else
    h[8] = false
  end
  h[9] = id
  return h
end

local BACKOFF_WIRE = { e = "exponential", f = "fixed", n = "none" }

-- memory: a task's scheduled_for ms (a string) from its "sf" and "sp" values: "sf" when the hash has
-- it, else the created ms in the spec (layout 3 leaves out an "sf" equal to it).
local function scheduled_sf(sf, sp)
  if sf then return sf end
  return sp and string.match(sp, "^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|([^|]*)|") or nil
end

-- memory: a task's fields as TaskHash.Read takes them: HGETALL, then "id" (not stored since layout 3;
-- a hash the upgrade has not reached yet has it twice, the same value). {} when there is no task.
local function task_fields(P, id)
  local h = redis.call("HGETALL", P .. id)
  if #h > 0 then h[#h + 1] = "id"; h[#h + 1] = id end
  return h
end

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

-- limits: flow control (issue 14 items 3 and 6). The keys of a queue's limits live beside its other
-- keys (same hash tag); their names are built here and nowhere else, from the queue's tag prefix T
-- (P without its "t:"): see RedisKeys. A slot is "<limit name> \31 <key value>" ("" for a queue-wide
-- limit).
--   T.."limits"        HASH  limit name -> definition (QueueLimit JSON: name, key, concurrency, rate, interval s)
--   T.."lu:run:"..name HASH  key value -> tasks running that the limit counts
--   T.."lu:win:"..slot STRING "<window start ms>:<starts in it>", expiring when the window closes
--   T.."lw:"..slot     ZSET  parked tasks of the slot, by their ready score (kept: back in their place)
--   T.."lwset"         SET   slots with parked tasks
--   T.."lreopen"       ZSET  slot -> when its rate window reopens (parked tasks, or a blocked queue)
--   T.."uniq"          HASH  unique key -> the task holding it (unique while active)
-- The meta hash's "lim" is the queue's wake spec while it has limits (absent otherwise): every script
-- that ends a running task reads it once per call, so a queue without limits pays one field read.
-- Its "lp" counts parked tasks (still pending: QueueCounts adds them to the ready set's size).
local function qtag(P)
  return string.sub(P, 1, -3)
end

-- The key value of one task for a keyed limit (nil: the task does not count). md: metadata JSON text
-- ("" for none), ar: args JSON text. A string value as is; a number as an integer or %.14g; true/false.
local function limit_value(key, md, ar)
  local field, src
  if string.sub(key, 1, 9) == "metadata." then field, src = string.sub(key, 10), md
  else field, src = string.sub(key, 6), ar end
  if not src or src == "" then return nil end
  local ok, obj = pcall(cjson.decode, src)
  if not ok or type(obj) ~= "table" then return nil end
  local v = obj[field]
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  if t == "boolean" then return tostring(v) end
  return nil
end

-- A limit's window for one key: start ms, starts in it; a closed window starts afresh at now. A
-- window is a string key that expires when it closes, so memory stays bounded whatever the keys.
local function limit_window(T, l, key, now)
  if not l.rate or l.rate == cjson.null then return now, 0 end
  local w = redis.call("GET", T .. "lu:win:" .. l.name .. "\31" .. key)
  if w then
    local s, c = string.match(w, "^(%-?%d+):(%d+)$")
    s, c = tonumber(s), tonumber(c)
    if s and now < s + l.interval * 1000 then return s, c end
  end
  return now, 0
end

-- rabbitmq: the ready score of a parked task going back in line (limit_unpark). On Redis alone, its
-- old score (its place in line). On a queue an outside delivery serves (meta "xd", set by
-- TaskLeaseByIds when it parks a task: the task's message was acknowledged then, the records hold
-- it), a fresh seq, as every entry into ready takes, so the outbox (OutboxTake) publishes it again.
-- xd: the queue's meta "xd", read once per limit_unpark call (limits: not once per task it moves).
local function outbox_unpark_score(T, id, score, xd)
  if not xd then return score end
  local seq = redis.call("HINCRBY", T .. "meta", "seq", 1)
  local tkey = T .. "t:" .. id
  redis.call("HSET", tkey, "sq", seq)
  return ready_score(redis.call("HGET", tkey, "pr"), seq)
end

-- Up to n parked tasks of a slot back into ready (their scores kept). A parked task cancelled or
-- deleted since is dropped on the way (those scripts do not know its slot), so it never comes back.
-- xd: meta "xd" when the caller has read it already (limits_flush, once per script call); nil: read here.
local function limit_unpark(T, slot, n, xd)
  local moved = 0
  if xd == nil then xd = redis.call("HGET", T .. "meta", "xd") end -- limits: once per call, not per task moved
  while moved < n do
    local m = redis.call("ZPOPMIN", T .. "lw:" .. slot, n - moved)
    if #m == 0 then break end
    redis.call("HINCRBY", T .. "meta", "lp", -(#m / 2))
    for i = 1, #m, 2 do
      if redis.call("HGET", T .. "t:" .. m[i], "st") == "pending" then
        redis.call("ZADD", T .. "ready", outbox_unpark_score(T, m[i], m[i + 1], xd), m[i]) -- rabbitmq: fresh seq there
        moved = moved + 1
      end
    end
  end
  if redis.call("EXISTS", T .. "lw:" .. slot) == 0 then redis.call("SREM", T .. "lwset", slot) end
  return moved
end

-- The queue's limits, decoded: all of them, the keyed ones, and (redisunhit2) whether every one counts
-- running tasks only (no rate) and keys on metadata or on nothing (limits_pick_fast).
local function limits_load(T)
  local all, keyed, fast = {}, {}, true
  for _, d in ipairs(redis.call("HVALS", T .. "limits")) do
    local l = cjson.decode(d)
    all[#all + 1] = l
    if l.key and l.key ~= cjson.null then
      keyed[#keyed + 1] = l
      if string.sub(l.key, 1, 9) ~= "metadata." then fast = false end
    end
    if l.rate and l.rate ~= cjson.null then fast = false end
  end
  return all, keyed, fast
end

-- redisunhit2: counts written back once per limit per call: the slots of added (slot -> tasks it took
-- or gave back in this call) are set to run's value (the count read in this call plus the change: the
-- script runs alone, so this is HINCRBY's answer), one HSET per limit of what is above 0 and one HDEL of
-- what fell to 0 (a key value no task holds leaves no field behind: memory stays bounded).
local function limits_counts_write(T, run, added)
  local set, del = {}, {}
  for slot in pairs(added) do
    local name, key = string.match(slot, "^([^\31]*)\31(.*)$")
    if name then
      local n = run[slot]
      if n > 0 then
        local s = set[name]; if not s then s = {}; set[name] = s end
        s[#s + 1] = key; s[#s + 1] = string.format("%d", n)
      else
        local d = del[name]; if not d then d = {}; del[name] = d end
        d[#d + 1] = key
      end
    end
  end
  for name, s in pairs(set) do
    for i = 1, #s, 1000 do redis.call("HSET", T .. "lu:run:" .. name, unpack(s, i, math.min(i + 999, #s))) end
  end
  for name, d in pairs(del) do
    for i = 1, #d, 500 do redis.call("HDEL", T .. "lu:run:" .. name, unpack(d, i, math.min(i + 499, #d))) end
  end
end

-- redisunhit2: limits_pick of a queue whose limits all count running tasks only (no rate) and key on
-- metadata or on nothing (queue-wide): the common case, and the one a limit far from its max pays on
-- every lease. No rate means no window to reopen ("lreopen" is not read: QueueLimitSet and
-- QueueLimitDelete clear a limit's entries when it stops having a rate) and nothing to check per task
-- but a count per slot. What one metadata text means (the slots it is checked against and counted in,
-- its "lh") is worked out once per call (plan), and the counts of its slots are read then (one HGET per
-- slot per call); the counts are written with one HSET per limit at the end (limits_counts_write),
-- where the general path reads and writes each slot on its own.
-- redisunhit3: one pass: each candidate is decided as soon as it is read, and a taken one is handed to
-- take (TaskLease's lease of one task: id, its LEASE_READ values, its "lh") at once, so no table is
-- built per candidate nor an answer walked again (figures: docs/limits.md, "redisunhit3"). Answers
-- as limits_pick.
local function limits_pick_fast(P, T, ready, max, lims, keyed, take)
  local run, added = {}, {}
  local wide = {} -- the queue-wide limits' slots
  local budget = max
  for _, l in ipairs(lims) do
    if not l.key or l.key == cjson.null then
      local slot = l.name .. "\31"
      wide[#wide + 1] = slot
      run[slot] = tonumber(redis.call("HGET", T .. "lu:run:" .. l.name, "") or "0")
      added[slot] = true
      if l.concurrency and l.concurrency ~= cjson.null then budget = math.min(budget, l.concurrency - run[slot]) end
    end
  end
  budget = math.max(0, budget)
  local taken = 0
  local parked, nparked = {}, 0 -- slot -> { score, id, ... } parked by this call
  local isp -- where the spec is in LEASE_READ
  for k, f in ipairs(LEASE_READ) do if f == "sp" then isp = k end end
  -- A plan: { held ("lh", false for none), the slots counted, then (max, slot) per concurrency limit
  -- to check }. Every slot of a plan is in added: one whose count did not change is written back as
  -- it was (limits_counts_write), which changes nothing.
  local plans, bysp = {}, {}
  local function plan(md)
    local count, check = {}, {}
    for _, l in ipairs(keyed) do
      local v = limit_value(l.key, md, nil)
      if v then
        local slot = l.name .. "\31" .. v
        if run[slot] == nil then
          run[slot] = tonumber(redis.call("HGET", T .. "lu:run:" .. l.name, v) or "0")
          added[slot] = true
        end
        if l.concurrency and l.concurrency ~= cjson.null then check[#check + 1] = l.concurrency; check[#check + 1] = slot end
        count[#count + 1] = slot
      end
    end
    for _, slot in ipairs(wide) do count[#count + 1] = slot end
    local pl = { #count > 0 and table.concat(count, "\30") or false, count, check }
    -- redisunhit3: one slot, checked (one concurrency limit keyed on metadata, no queue-wide one: the
    -- common case): its slot and max, so a task is checked and counted without a loop.
    if #count == 1 and #check == 2 then pl[4] = check[2]; pl[5] = check[1] end
    plans[md] = pl
    return pl
  end
  local last = false -- ready held fewer than were asked: no second pop
  while taken < budget and not last do
    local cand = redis.call("ZPOPMIN", ready, budget - taken)
    if #cand == 0 then break end
    last = #cand < 2 * (budget - taken)
    for i = 1, #cand, 2 do
      local id = cand[i]
      local h = redis.call("HMGET", P .. id, unpack(LEASE_READ))
      -- The metadata text is the spec's 8th field: from the first "|{" (the fields before it are
      -- numbers and a letter) to the first "\n" (before the idempotency key, which may hold anything)
      -- or the end. Two plain finds: a pattern match walks the spec a character at a time.
      -- redisunhit3: the plan is remembered by the whole spec too (bysp), so tasks submitted together
      -- (a batch shares its created ms, hence its spec) look it up with one table read (Lua strings are
      -- interned: a read by a string hashes no character), without the finds and the cut.
      local sp = h[isp] or ""
      local pl = bysp[sp]
      if not pl then
        local md = ""
        local nl = string.find(sp, "\n", 1, true)
        local b = string.find(sp, "|{", 1, true)
        if b and (not nl or b < nl) then md = string.sub(sp, b + 1, (nl or 0) - 1) end
        pl = plans[md] or plan(md)
        bysp[sp] = pl
      end
      local one, block = pl[4], nil
      if one then
        local c = run[one]
        if c >= pl[5] then block = one else run[one] = c + 1 end
      else
        local check = pl[3]
        for k = 1, #check, 2 do
          if run[check[k + 1]] >= check[k] then block = check[k + 1]; break end
        end
        if not block then
          local count = pl[2]
          for k = 1, #count do
            local slot = count[k]
            run[slot] = run[slot] + 1
          end
        end
      end
      if block then
        local pk = parked[block]
        if not pk then pk = {}; parked[block] = pk end
        pk[#pk + 1] = cand[i + 1]; pk[#pk + 1] = id
        nparked = nparked + 1
      else
        take(id, h, pl[1])
        taken = taken + 1
      end
    end
  end
  limits_counts_write(T, run, added)
  for slot, pk in pairs(parked) do
    zadd_many(T .. "lw:" .. slot, pk)
    redis.call("SADD", T .. "lwset", slot)
  end
  if nparked > 0 then redis.call("HINCRBY", T .. "meta", "lp", nparked) end
end

-- TaskLease of a queue with limits: takes up to max tasks from ready, in line order, each within every
-- limit, and hands each one taken to take(id, h, lh) (redisunhit3: at once, in line order, instead of
-- answering a list TaskLease walked again): h its LEASE_READ values (the lease's own read, made here
-- once: the spec and args it reads for the key values come with it, so a task hash is opened once per
-- lease), lh the slots it holds ("\30"-joined, false for none).
-- Tasks are popped (ZPOPMIN), as many as are still wanted: each one popped is taken or parked, so
-- nothing goes back. A task over a keyed limit is parked: moved from ready to its slot's set, so no
-- lease walks it again until a slot frees (limits_leave) or its window reopens (here, at the start).
-- Queue-wide limits only bound how many this call takes: nothing is parked for them. Running counts
-- are read once per slot and written once per slot per call; a metadata text is decoded once.
-- redisunhit2: answers false when the queue has no rate limit (no window can reopen: TaskLease does not
-- look for one), true otherwise; limits without a rate take limits_pick_fast.
local function limits_pick(P, ready, max, now, take)
  local T = qtag(P)
  local lims, keyed, fast = limits_load(T)
  if fast then limits_pick_fast(P, T, ready, max, lims, keyed, take); return false end
  local reopened = redis.call("ZRANGEBYSCORE", T .. "lreopen", "-inf", now, "LIMIT", 0, 100)
  -- limits: no window reopens and nothing is ready (a leaser's look after it took the last): nothing
  -- to take or park.
  if #reopened == 0 and redis.call("EXISTS", ready) == 0 then return true end
  local byname = {}
  for _, l in ipairs(lims) do byname[l.name] = l end
  for _, slot in ipairs(reopened) do
    local l = byname[string.match(slot, "^([^\31]*)")]
    local rated = l and l.rate and l.rate ~= cjson.null
    limit_unpark(T, slot, rated and l.rate or 1000)
    -- Tasks still parked wait for the window that starts now: it ends an interval from now at the soonest.
    if rated and redis.call("EXISTS", T .. "lw:" .. slot) == 1 then
      redis.call("ZADD", T .. "lreopen", now + l.interval * 1000, slot)
    else
      redis.call("ZREM", T .. "lreopen", slot)
    end
  end
  local run, added = {}, {}
  local function running(l, key)
    local slot = l.name .. "\31" .. key
    local n = run[slot]
    if n == nil then
      n = tonumber(redis.call("HGET", T .. "lu:run:" .. l.name, key) or "0")
      run[slot] = n
    end
    return n, slot
  end
  local function blocked(l, key)
    if l.concurrency and l.concurrency ~= cjson.null and running(l, key) >= l.concurrency then return 0 end
    if l.rate and l.rate ~= cjson.null then
      local s, c = limit_window(T, l, key, now)
      if c >= l.rate then return s + l.interval * 1000 end
    end
    return nil
  end
  local budget = max
  for _, l in ipairs(lims) do
    if not l.key or l.key == cjson.null then
      local room = budget
      if l.concurrency and l.concurrency ~= cjson.null then room = math.min(room, l.concurrency - running(l, "")) end
      if l.rate and l.rate ~= cjson.null then
        local s, c = limit_window(T, l, "", now)
        if c >= l.rate then redis.call("ZADD", T .. "lreopen", s + l.interval * 1000, l.name .. "\31") end
        room = math.min(room, l.rate - c)
      end
      budget = math.max(0, math.min(budget, room))
    end
  end
  local decoded, taken = {}, 0
  local parked, nparked = {}, 0 -- limits: slot -> { score, id, ... } parked by this call
  local isp, iar -- where the spec and the args are in LEASE_READ
  for k, f in ipairs(LEASE_READ) do if f == "sp" then isp = k elseif f == "ar" then iar = k end end
  while taken < budget do
    local cand = redis.call("ZPOPMIN", ready, budget - taken)
    if #cand == 0 then break end
    for i = 1, #cand, 2 do
      local id, score = cand[i], cand[i + 1]
      local tkey = P .. id
      local block, bkey, bl = nil, nil, nil
      local slots = {}
      local h = redis.call("HMGET", tkey, unpack(LEASE_READ))
      if #keyed > 0 then
        local md = h[isp] and string.match(h[isp], "^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|([^\n]*)") or ""
        for _, l in ipairs(keyed) do
          local v
          if string.sub(l.key, 1, 9) == "metadata." then
            local cache = decoded[md]
            if not cache then cache = {}; decoded[md] = cache end
            v = cache[l.key]
            if v == nil then v = limit_value(l.key, md, nil) or false; cache[l.key] = v end
          else
            v = limit_value(l.key, "", h[iar]) or false
          end
          if v then
            local b = blocked(l, v)
            if b then block, bkey, bl = b, v, l; break end
            slots[#slots + 1] = { l, v }
          end
        end
      end
      if block then
        -- limits: parked per slot here and written once per slot per call (after the loop)
        local slot = bl.name .. "\31" .. bkey
        local pk = parked[slot]
        if not pk then pk = {}; parked[slot] = pk end
        pk[#pk + 1] = score; pk[#pk + 1] = id
        nparked = nparked + 1
        if block > 0 then redis.call("ZADD", T .. "lreopen", "LT", block, slot) end
      else
        local held = {}
        for _, l in ipairs(lims) do
          if not l.key or l.key == cjson.null then slots[#slots + 1] = { l, "" } end
        end
        for _, sl in ipairs(slots) do
          local l, key = sl[1], sl[2]
          if l.concurrency and l.concurrency ~= cjson.null then
            local _, slot = running(l, key)
            run[slot] = run[slot] + 1
            added[slot] = (added[slot] or 0) + 1
            held[#held + 1] = slot
          end
          if l.rate and l.rate ~= cjson.null then
            local s, c = limit_window(T, l, key, now)
            local ttl = math.max(1, math.floor(s + l.interval * 1000 - now))
            redis.call("SET", T .. "lu:win:" .. l.name .. "\31" .. key, string.format("%d:%d", s, c + 1), "PX", ttl)
          end
        end
        take(id, h, #held > 0 and table.concat(held, "\30") or false)
        taken = taken + 1
      end
    end
  end
  for slot, n in pairs(added) do
    local name, key = string.match(slot, "^([^\31]*)\31(.*)$")
    redis.call("HINCRBY", T .. "lu:run:" .. name, key, n)
  end
  -- limits: the parked tasks, one ZADD and one SADD per slot and one count per call.
  for slot, pk in pairs(parked) do
    zadd_many(T .. "lw:" .. slot, pk)
    redis.call("SADD", T .. "lwset", slot)
  end
  if nparked > 0 then redis.call("HINCRBY", T .. "meta", "lp", nparked) end
  return true
end

-- The earliest reopen ms of a rate window the queue waits for, or nil.
local function limits_next(P)
  local first = redis.call("ZRANGE", qtag(P) .. "lreopen", 0, 0, "WITHSCORES")
  if #first == 2 then return tonumber(first[2]) end
  return nil
end

-- The slots in lh (a task's "lh", already read; false/nil/"": none) are given back: limits_flush
-- writes them. st: limits_on's answer (nil: the queue has no limits, nothing to do). Returns true
-- when the task held a slot.
local function limits_left(st, lh)
  if not st or not lh or lh == "" then return false end
  st.held[lh] = (st.held[lh] or 0) + 1 -- split into slots once per distinct "lh" per call (limits_flush)
  return true
end

-- A task leaving running (complete, fail, release, cancel, lease expiry) gives back the slots it held;
-- the counts are written, and one parked task per freed slot goes back in line, by limits_flush, once
-- per slot per script call. "lh" is deleted, so a later attempt leased while the queue had no limits
-- never gives back this one's slots. TaskCompleteMany reads "lh" with its own HMGET and does what
-- limits_left does itself: a succeeded task never runs again, so its "lh" is left in place.
-- Returns true when the task held a slot.
local function limits_leave(P, tkey, st)
  if not st then return false end
  local lh = redis.call("HGET", tkey, "lh")
  if not lh then return false end
  redis.call("HDEL", tkey, "lh")
  return limits_left(st, lh)
end

-- The queue's limit state for one script call: nil without limits (one field read of "meta"), else
-- { lim = the wake spec, T = the tag prefix, freed = slot -> tasks that gave it back, held = "lh"
-- text -> tasks that gave it back (limits_left; limits_flush splits each text once), xd = meta "xd"
-- once limits_flush has read it }.
local function limits_on(P)
  local lim = redis.call("HGET", qtag(P) .. "meta", "lim")
  if not lim then return nil end
  return { lim = lim, T = qtag(P), freed = {}, held = {} }
end

-- Writes what limits_leave gathered: one HINCRBY per slot, and as many parked tasks back in line as
-- the slot freed. Returns true when a lease may now take what it could not: a parked task went back
-- in line, or a queue-wide slot freed (a queue-wide limit parks nothing: it only bounds how many a
-- lease takes). A keyed slot freed with nothing parked on it gives no leaser anything new, so an
-- unhit limit's acknowledgement publishes no wake (the caller wakes the queue's leasers).
local function limits_flush(st)
  if not st then return false end
  for lh, n in pairs(st.held) do
    for slot in string.gmatch(lh, "[^\30]+") do st.freed[slot] = (st.freed[slot] or 0) + n end
  end
  st.held = {}
  local any = false
  -- limits: meta "lp" counts the parked tasks (never fewer than there are): with none, no slot has any
  -- to give back, so an unhit limit's acknowledgement asks no slot's set (one read per call).
  local lp = next(st.freed) ~= nil and tonumber(redis.call("HGET", st.T .. "meta", "lp") or "0") > 0
  for slot, n in pairs(st.freed) do
    local name, key = string.match(slot, "^([^\31]*)\31(.*)$")
    if name then
      if redis.call("HINCRBY", st.T .. "lu:run:" .. name, key, -n) <= 0 then redis.call("HDEL", st.T .. "lu:run:" .. name, key) end
      if key == "" then any = true end
      if lp and redis.call("SISMEMBER", st.T .. "lwset", slot) == 1 then
        if st.xd == nil then st.xd = redis.call("HGET", st.T .. "meta", "xd") end -- limits: once per call
        if limit_unpark(st.T, slot, n, st.xd) > 0 then any = true end
      end
    end
  end
  st.freed = {}
  return any
end

-- At the end of a script that may have freed slots: write them (limits_flush) and wake the leasers.
local function limits_wake(st, freed)
  if limits_flush(st) and freed then wake_leasers(st.lim) end
end

-- parked: the one-step lease (RedisTaskStore.Parked.cs). A leaser of one queue that found nothing
-- leaves a park record in the queue's "pk" ZSET (TaskLease): member "<park id> \t <lease ms> \t
-- <publish spec> \t <lease token> \t <worker>", score the ms it lapses (at most ParkLapse ahead).
-- park_payload is what a parked leaser is told: its lease token, the lease's now, then the 9 values a
-- TaskLease answer has per task (its h: the read fields, er, id), each "<length>:<bytes>" or "-" for none, all joined by "\n".
local function park_payload(tok, nows, h)
  local parts = { tok, nows }
  for i = 1, 9 do
    local v = h[i]
    if v then parts[#parts + 1] = string.format("%d", #v) .. ":" .. v else parts[#parts + 1] = "-" end
  end
  return table.concat(parts, "\n")
end

-- parked: TaskEnqueueMany, once its tasks are ready: lease the best ready tasks (ZPOPMIN: priority,
-- then FIFO) to the live parks, soonest lapse first, one task each, with TaskLease's writes (st, at,
-- tk, dl, wk, sa; running, ix, the "running" event), and PUBLISH each on its leaser's channel
-- (park_payload), or LPUSH it on the park's own list (parklist: the record's spec says which). "pk:<park id>" keeps the task id until after the park lapses, so a leaser whose
-- message was lost still gets its task (TaskUnpark). Lapsed parks are dropped unused (a dead
-- leaser's park takes nothing once lapsed; one taken before that is an ordinary lease that expires).
-- Nothing is handed on a paused queue, one with limits, or one with expiring tasks (TaskLease's
-- fuller checks): their parks keep waiting for the wake, as every lease did before. The keys are
-- the queue's own (qtag: the same slot as the caller's KEYS). Returns how many were handed.
local function park_handoff(P, ready, ix, meta, q, nows, evs)
  local T = qtag(P)
  local pk = T .. "pk"
  if redis.call("EXISTS", pk) == 0 then return 0 end
  local now = tonumber(nows)
  redis.call("ZREMRANGEBYSCORE", pk, "-inf", now)
  local m = redis.call("HMGET", meta, "paused", "lim")
  if m[1] == "1" or m[2] or redis.call("EXISTS", T .. "exp") == 1 then return 0 end
  local handed = 0
  while true do
    local park = redis.call("ZPOPMIN", pk)
    if #park == 0 then break end
    local top = redis.call("ZPOPMIN", ready)
    if #top == 0 then redis.call("ZADD", pk, park[2], park[1]); break end
    local pid, lms, spec, tok, worker = string.match(park[1], "^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local id = top[1]
    local tkey = P .. id
    -- TaskLease's read list and attempt step, written out: the enqueue script then builds neither
    -- table on every call (only a queue with parks ever gets here).
    local h = lease_read_done(tkey, id, redis.call("HMGET", tkey, "ty", "pr", "at", "sp", "ar", "sf", "hi"))
    local at = string.format("%d", (tonumber(h[3]) or 0) + 1)
    local dl = string.format("%d", now + tonumber(lms))
    redis.call("HSET", tkey, "st", "running", "at", at, "tk", tok, "dl", dl, "wk", worker, "sa", nows)
    redis.call("ZADD", T .. "running", dl, id)
    redis.call("ZREM", ix, "p" .. id)
    ev_add(evs, id, q, h[1], "running", nows)
    local keep = math.max(tonumber(park[2]) - now, 0) + 60000
    redis.call("SET", T .. "pk:" .. pid, id, "PX", keep)
    local sp = string.find(spec, " ", 1, true)
    local cmd, target = string.sub(spec, 1, sp - 1), string.sub(spec, sp + 1)
    redis.call(cmd, target, park_payload(tok, nows, h))
    -- parklist: "LPUSH <queue tag>pl:<park id>": the leaser waits in a BLPOP of it (Signals/ParkLines.cs);
    -- a hand-off nobody pops (its leaser died) goes with the key.
    if cmd == "LPUSH" then redis.call("PEXPIRE", target, keep) end
    handed = handed + 1
  end
  return handed
end
