--[[
  TaskCompleteMany: running -> succeeded for tasks of ONE queue, each fenced by its lease token.

  KEYS[1] running   KEYS[2] fin (the finish log, see fin_push in Lib.lua)   KEYS[3] meta
  KEYS[4] history of now's day (outcomes_add in Lib.lua)   KEYS[5] ix (the state index: its head comment in Lib.lua)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] events channel   ARGV[4] queue   ARGV[5] n
  then n items of 3 values: id, lease token, result json ("" for no result)

  Returns a flat array, 2 values per item: code, state after ("" when not found).
    code 0 ok; 1 not found; 2 stale lease (the token is not the current one): nothing changed.
]]
-- now stays the ARGV string: it is only written and concatenated, never compared (see ev_add).
local P, now, q, n = ARGV[1], ARGV[2], ARGV[4], tonumber(ARGV[5])
local out, evs, done = {}, {}, 0
local finished, gone, ixadd = {}, {}, {}
local lim, freed = limits_on(P), false -- limits: slots held by the tasks that end
local held = lim and lim.held -- redisunhit3: limits_left written out (a call per task less)
for i = 0, n - 1 do
  local o = 6 + i * 3
  local id = ARGV[o]
  local tkey = P .. id
  -- limits: "lh" (the slots the attempt holds) read with the rest, not on its own.
  local f = lim and redis.call("HMGET", tkey, "st", "tk", "ty", "lh") or redis.call("HMGET", tkey, "st", "tk", "ty")
  if not f[1] then
    out[#out + 1] = 1; out[#out + 1] = ""
  elseif f[1] ~= "running" or f[2] ~= ARGV[o + 1] then
    out[#out + 1] = 2; out[#out + 1] = f[1]
  else
    -- The succeeding attempt is NOT appended to "hi": at, wk, sa and fa describe it, and .NET reads it
    -- from them (TaskHash.Read). Appending it made "hi" longer than hash-max-listpack-value (64 bytes
    -- by default), so every completed task's hash was converted to a hashtable: ~10 % of Redis's CPU
    -- in W1, and more memory per retained task. tk/dl/wk stay in place (hot path: one write).
    if ARGV[o + 2] ~= "" then
      redis.call("HSET", tkey, "st", "succeeded", "fa", now, "re", ARGV[o + 2])
    else
      redis.call("HSET", tkey, "st", "succeeded", "fa", now)
    end
    gone[#gone + 1] = id
    ixadd[#ixadd + 1] = "0"; ixadd[#ixadd + 1] = "s" .. id -- redis-index: into the state index (letter s: succeeded)
    -- limits: "lh" stays (a succeeded task never runs again); what it held is given back by limits_wake
    local lh = f[4]
    if lh and lh ~= "" then held[lh] = (held[lh] or 0) + 1; freed = true end
    finished[#finished + 1] = id; finished[#finished + 1] = now
    done = done + 1
    ev_add(evs, id, q, f[3], "succeeded", now)
    out[#out + 1] = 0; out[#out + 1] = "succeeded"
  end
end
if done > 0 then
  zrem_many(KEYS[1], gone)
  zadd_many(KEYS[5], ixadd) -- redis-index
  fin_push(KEYS[2], finished)
  redis.call("HINCRBY", KEYS[3], "succeeded", done)
  outcomes_add(KEYS[4], "s", now, done)
end
limits_wake(lim, freed) -- limits
ev_flush(ARGV[3], evs)
return out
