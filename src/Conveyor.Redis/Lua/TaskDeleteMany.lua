--[[
  TaskDeleteMany: delete tasks of ONE queue that are not running, with their entries in the state
  sets, the state index, the kept counts and the idempotency index (when the task holds its key).
  The finish-log entry goes stale (retention drops it); .NET then drops the ids from the global
  id -> queue index.

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] dead   KEYS[4] done (legacy)   KEYS[5] ix (the state index, see IX in Lib.lua)
  KEYS[6] meta   KEYS[7] idem   KEYS[8] idem:exp

  ARGV[1] P   ARGV[2..] ids

  Returns, per id in input order, a code: 0 deleted; 1 not found; 2 running (nothing changed).
]]
local P = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "st", "sp")
  local st = f[1]
  if not st then
    out[#out + 1] = 1
  elseif st == "running" then
    out[#out + 1] = 2
  else
    if st == "pending" then redis.call("ZREM", KEYS[1], id)
    elseif st == "scheduled" then redis.call("ZREM", KEYS[2], id)
    elseif st == "failed" then redis.call("ZREM", KEYS[3], id)
    elseif st == "succeeded" then redis.call("HINCRBY", KEYS[6], "succeeded", -1)
    elseif st == "cancelled" then redis.call("HINCRBY", KEYS[6], "cancelled", -1)
    elseif st == "expired" then redis.call("HINCRBY", KEYS[6], "expired", -1) end -- expiry
    redis.call("ZREM", KEYS[4], id)
    ix_move(KEYS[5], id, st, nil) -- redis-index
    local ik = f[2] and string.match(f[2], "\n(.*)$")
    if ik and ik ~= "" and redis.call("HGET", KEYS[7], ik) == id then
      redis.call("HDEL", KEYS[7], ik)
      redis.call("ZREM", KEYS[8], ik)
    end
    redis.call("DEL", tkey)
    out[#out + 1] = 0
  end
end
return out
