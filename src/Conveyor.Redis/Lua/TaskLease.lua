--[[
  TaskLease: lease up to max ready tasks of ONE queue (the .NET side walks the queues in order).
  Due scheduled tasks are promoted first, so a lease never waits for maintenance.

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] running (ZSET id -> lease deadline ms)   KEYS[4] meta
  KEYS[5] ix (the state index: its head comment in Lib.lua)
  KEYS[6] exp, KEYS[7] fin:expired (expiry; a queue without expiring tasks pays one ZRANGEBYSCORE of a missing key)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] max   ARGV[4] lease duration ms   ARGV[5] worker id
  ARGV[6] token prefix ("<queue>/<nonce>."; the task's lease token is prefix .. i)
  ARGV[7] events channel   ARGV[8] queue   ARGV[9] promote limit
  parked: KEYS[8] pk, ARGV[10] park member, ARGV[11] its lapse ms (optional: the one-step lease, Lib.lua)
  parklist: KEYS[9] the park's list pl:<park id> (optional: a park whose leaser waits in a BLPOP)

  Returns { next, task1, task2, ... }: each leased task as the 7 values of LEASE_READ (Lib.lua) as
  read, then er (false unless hi is
  there) and its id. A new attempt starts without progress: "pg" is deleted. What the lease wrote
  .NET knows already (TaskHash.ReadLeased): st "running", at = the read at + 1, tk = ARGV[6] .. n
  for the n-th task of the answer, dl = now + lease, wk, sa = now.
  next: -2 the queue is paused; when nothing was leased, the earliest due ms of a scheduled task
  (or of a rate window's reopening, with limits) or -1 when none; 0 otherwise.
  parked: { next, "parked" } when nothing was leased and the park record was left.
]]
local P, nows, max, lease = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = tonumber(nows)
local worker, q = ARGV[5], ARGV[8]
-- limits: "lim" is set while the queue has limits (Lib.lua, limits_pick); read with "paused" in one call.
local meta = redis.call("HMGET", KEYS[4], "paused", "lim")
if meta[1] == "1" then return { -2 } end
local evs = {}
-- expiry: a lease never hands out a task past its expires_at: end those first (before promotion, so
-- an expired due retry is not made pending).
if KEYS[6] then expire_due(KEYS[6], KEYS[1], KEYS[2], KEYS[7], KEYS[4], KEYS[5], P, q, nows, 1000, evs) end
promote_due(KEYS[1], KEYS[2], KEYS[4], P, q, nows, tonumber(ARGV[9]), evs, KEYS[5])
local res = { 0 }
-- Strings formatted once per call, not once per task (see ev_add in Lib.lua).
local dl = tostring(now + lease)
local running, ixrem = {}, {}
-- One task leased: read once (h, its LEASE_READ values), written once, and answered with the read
-- values only (.NET derives what was written). lh: nil on a queue without limits (no "lh" written);
-- with limits, the slots this attempt holds ("\30"-joined, false for none, kept as "": an older
-- attempt's never count).
local function take(id, h, lh)
  local tkey = P .. id
  lease_read_done(tkey, id, h)
  local at = NEXT_ATTEMPT[h[3]] or string.format("%d", (tonumber(h[3]) or 0) + 1)
  local tok = ARGV[6] .. string.format("%d", #res)
  if lh == nil then
    redis.call("HSET", tkey, "st", "running", "at", at, "tk", tok, "dl", dl, "wk", worker, "sa", nows)
  else
    redis.call("HSET", tkey, "st", "running", "at", at, "tk", tok, "dl", dl, "wk", worker, "sa", nows, "lh", lh or "")
  end
  running[#running + 1] = dl; running[#running + 1] = id
  ixrem[#ixrem + 1] = "p" .. id -- redis-index: out of the state index (letter p: pending; running tasks are not in it)
  res[#res + 1] = h
  ev_add(evs, id, q, h[1], "running", nows)
end
local rated = false -- redisunhit2: whether a rate window can reopen
if meta[2] then
  -- limits: limits_pick hands each task it takes to take at once (redisunhit3: no list of the taken
  -- tasks walked again), with its LEASE_READ values (read there to find its key values) and its slots.
  rated = limits_pick(P, KEYS[1], max, now, take)
else
  local popped = redis.call("ZPOPMIN", KEYS[1], max)
  for i = 1, #popped, 2 do take(popped[i], redis.call("HMGET", P .. popped[i], unpack(LEASE_READ)), nil) end
end
zadd_many(KEYS[3], running)
zrem_many(KEYS[5], ixrem) -- redis-index
if #res == 1 then
  local first = redis.call("ZRANGE", KEYS[2], 0, 0, "WITHSCORES")
  if #first == 2 then res[1] = tonumber(first[2]) else res[1] = -1 end
  -- limits: a rate window that reopens is due work too.
  local reopen = rated and limits_next(P) -- redisunhit2: only a rate limit has windows to reopen
  if reopen and (res[1] < 0 or reopen < res[1]) then res[1] = math.max(reopen, 1) end
end
-- parked: nothing leased, and the caller asked to park (ARGV[10] its park member, ARGV[11] when it
-- lapses; KEYS[8] the queue's "pk"): leave the record for TaskEnqueueMany (park_handoff, Lib.lua) and
-- answer "parked" after next. Never with limits (limits_pick's checks are not in park_handoff).
-- parklist: KEYS[9], the park's own list (optional), starts empty: what an earlier park of the same id
-- left there (a hand-off whose BLPOP broke off, TaskUnpark's "-") is not this park's.
if #res == 1 and ARGV[10] and not meta[2] then
  if KEYS[9] then redis.call("DEL", KEYS[9]) end
  redis.call("ZADD", KEYS[8], ARGV[11], ARGV[10]); res[2] = "parked"
end
ev_flush(ARGV[7], evs)
return res
