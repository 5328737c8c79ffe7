--[[
  TaskLeaseByIds: lease the named tasks of ONE queue, those still ready, as TaskLease does (the
  outside delivery handed their ids over; this record is the lease and the fence, never the
  delivery's own tag). A task that is not ready (cancelled, deleted, already running from a
  duplicate message) is answered false: its message is spent.

  KEYS[1] ready   KEYS[2] running (ZSET id -> lease deadline ms)   KEYS[3] meta   KEYS[4] ix (the state index)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] lease duration ms   ARGV[4] worker id
  ARGV[5] token prefix ("<queue>/<nonce>."; the token is prefix .. n for the n-th id asked)
  ARGV[6] events channel   ARGV[7] queue   ARGV[8..] the ids

  Returns { code, entry1, entry2, ... }: code -2 the queue is paused (nothing leased), else 0; one
  entry per id asked, in order: false, or the 7 values of LEASE_READ then er and the id, as TaskLease.
]]
local P, nows, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = tonumber(nows)
local worker, q = ARGV[4], ARGV[7]
if redis.call("HGET", KEYS[3], "paused") == "1" then return { -2 } end
local res = { 0 }
local dl = tostring(now + lease)
local running, evs, ixrem = {}, {}, {}
for i = 8, #ARGV do
  local id = ARGV[i]
  if redis.call("ZREM", KEYS[1], id) == 1 then
    local tkey = P .. id
    local h = redis.call("HMGET", tkey, unpack(LEASE_READ))
    if h[7] then
      h[8] = redis.call("HGET", tkey, "er")
      redis.call("HDEL", tkey, "pg")
    else
      h[8] = false
    end
    h[9] = id
    local at = NEXT_ATTEMPT[h[3]] or string.format("%d", (tonumber(h[3]) or 0) + 1)
    local tok = ARGV[5] .. string.format("%d", i - 7)
    redis.call("HSET", tkey, "st", "running", "at", at, "tk", tok, "dl", dl, "wk", worker, "sa", nows)
    running[#running + 1] = dl; running[#running + 1] = id
    ixrem[#ixrem + 1] = "p" .. id -- redis-index: out of the state index (running tasks are not in it)
    res[#res + 1] = h
    ev_add(evs, id, q, h[1], "running", nows)
  else
    res[#res + 1] = false
  end
end
zadd_many(KEYS[2], running)
if #ixrem > 0 then zrem_many(KEYS[4], ixrem) end -- redis-index
ev_flush(ARGV[6], evs)
return res
