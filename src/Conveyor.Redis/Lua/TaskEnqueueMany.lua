--[[
  TaskEnqueueMany: store new tasks of ONE queue (the .NET side groups a batch by queue).

  KEYS[1] ready      ZSET  id -> ready score
  KEYS[2] scheduled  ZSET  id -> due ms
  KEYS[3] ix         ZSET  the state index (state letter .. id, score 0; see IX in Lib.lua)
  KEYS[4] meta       HASH  seq, paused, succeeded, cancelled
  KEYS[5] idem       HASH  idempotency key -> task id
  KEYS[6] idemexp    ZSET  idempotency key -> expiry ms

  expiry: when some tasks expire, the LAST key is the queue's "exp" ZSET (id -> expires_at ms)

  ARGV[1] P (task key prefix)   ARGV[2] now ms   ARGV[3] idempotency window ms
  ARGV[4] wake ("PUBLISH <channel>" or "SPUBLISH <channel>"; parked: left out when parked leasers took it all)          ARGV[5] events channel   ARGV[6] queue   ARGV[7] n
  then n tasks of 8 values each:
    id, type, priority, state (pending|scheduled|waiting), scheduled_for ms ("" for a pending task
    whose scheduled_for is its created time: not stored, see Lib.lua), spec ("sp", see Lib.lua),
    idempotency key ("" for none; also inside the spec), args json
  (memory: no id -> queue index since layout 3: a bare id finds its queue by probing the known queues)

  then (limits, unique while active), only when some task has one: "u", then n unique keys ("" for none)
  expiry: after the n tasks (and the unique keys, when present), optionally "expiry", m, then m pairs (task number 0..n-1, expires_at ms): those
    created get field "ex" and an "exp" entry.

  Returns, per task in input order, { code } or { code, task_fields of the task (Lib.lua) }:
    1 created;  0 idempotency key (or unique key, while its holder is active) already held in this
    queue: the existing task;
    2 the id already exists (a retried enqueue): the stored task, nothing written.
]]
local P, now, win = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local q, n, S, base = ARGV[6], tonumber(ARGV[7]), 8, 8
local out, evs, wake = {}, {}, false
local ready, sched, ixadd = {}, {}, {}
local seq = redis.call("HINCRBY", KEYS[4], "seq", n) - n
-- limits (unique while active): after the n tasks, when present: "u", then one unique key per task
-- ("" for none). A holder still pending, scheduled or running wins (the hash: qtag in Lib.lua).
local U = base + n * S
local uniq = ARGV[U] == "u" and (qtag(P) .. "uniq") or nil
for i = 0, n - 1 do
  local o = base + i * S
  local id, ik = ARGV[o], ARGV[o + 6]
  local tkey = P .. id
  if redis.call("EXISTS", tkey) == 1 then -- memory: the id is the key, not a field (layout 3)
    -- The id is stored already: this is a retry of the same submission. Nothing is written.
    out[#out + 1] = { 2, task_fields(P, id) }
  else
    local held = nil
    if ik ~= "" then
      local exp = redis.call("ZSCORE", KEYS[6], ik)
      if exp and tonumber(exp) > now then
        local eid = redis.call("HGET", KEYS[5], ik)
        if eid and redis.call("EXISTS", P .. eid) == 1 then held = eid end
      end
    end
    local uk = uniq and ARGV[U + 1 + i] or ""
    if not held and uk ~= "" then
      local eid = redis.call("HGET", uniq, uk)
      local est = eid and redis.call("HGET", P .. eid, "st")
      if est == "pending" or est == "scheduled" or est == "running" then held = eid end
    end
    if held then
      out[#out + 1] = { 0, task_fields(P, held) } -- this submission creates nothing
    else
      seq = seq + 1
      local st, sf = ARGV[o + 3], ARGV[o + 4]
      -- In the order the hot paths look fields up (a listpack hash is scanned from its start):
      -- the lease's fields first, then st (every acknowledgement reads it), then the rest. memory: no
      -- id, no q (the key holds both), no "at" until the first lease (absent is 0), no "sf" equal to
      -- the created time (sent as ""): layout 3.
      if sf == "" then
        redis.call("HSET", tkey, "ty", ARGV[o + 1], "pr", ARGV[o + 2], "sp", ARGV[o + 5], "ar", ARGV[o + 7], "st", st, "sq", seq)
      else
        redis.call("HSET", tkey, "ty", ARGV[o + 1], "pr", ARGV[o + 2], "sp", ARGV[o + 5], "ar", ARGV[o + 7], "sf", sf, "st", st, "sq", seq)
      end
      if st == "pending" then
        ready[#ready + 1] = ready_score(ARGV[o + 2], seq); ready[#ready + 1] = id
      -- workflows: a waiting step is in neither set until WorkflowStepRelease makes it pending
      elseif st ~= "waiting" then
        sched[#sched + 1] = sf; sched[#sched + 1] = id
      end
      ix_add(ixadd, st, id) -- redis-index: the state index, written in the zadd_many below
      if uk ~= "" then redis.call("HSET", uniq, uk, id); redis.call("HSET", tkey, "uk", uk) end
      if ik ~= "" then
        redis.call("HSET", KEYS[5], ik, id)
        redis.call("ZADD", KEYS[6], now + win, ik)
      end
      wake = true
      ev_add(evs, id, q, ARGV[o + 1], st, ARGV[2])
      out[#out + 1] = { 1 }
    end
  end
end
zadd_many(KEYS[1], ready)
zadd_many(KEYS[2], sched)
zadd_many(KEYS[3], ixadd) -- redis-index: the state index
-- expiry: the expiring tasks created by this call (not an idempotency or id repeat).
local eo = U + (uniq and n + 1 or 0) -- after the unique keys (limits), when present
if ARGV[eo] == "expiry" then
  for j = 1, tonumber(ARGV[eo + 1]) do
    local k, ms = tonumber(ARGV[eo + 2 * j]), ARGV[eo + 2 * j + 1]
    if out[k + 1][1] == 1 then
      local id = ARGV[base + k * S]
      redis.call("HSET", P .. id, "ex", ms)
      redis.call("ZADD", KEYS[#KEYS], ms, id)
    end
  end
end
-- parked: new ready tasks go straight to parked leasers (park_handoff, Lib.lua); no wake when they
-- took everything ready and nothing was scheduled.
if #ready > 0 and park_handoff(P, KEYS[1], KEYS[3], KEYS[4], q, ARGV[2], evs) > 0 and #sched == 0 and redis.call("EXISTS", KEYS[1]) == 0 then wake = false end
if wake then wake_leasers(ARGV[4]) end
ev_flush(ARGV[5], evs)
return out
