--[[
  LeaseExtendMany: the heartbeat. Pushes lease deadlines of running tasks of ONE queue to
  now + duration, optionally recording progress. A task cancelled while running keeps the
  fenced-off token in "ct", so its worker learns of the cancel here.

  KEYS[1] running

  ARGV[1] P   ARGV[2] now ms   ARGV[3] n, then n items of 4 values:
    id, lease token, duration ms, progress json ("" for none)

  Returns a flat array, 2 values per item: code, new deadline ms (0 unless code 0).
    code 0 ok; 1 not found; 2 stale lease; 3 cancelled while running (cancel requested).
]]
local P, now, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 0, n - 1 do
  local o = 4 + i * 4
  local id, tok = ARGV[o], ARGV[o + 1]
  local tkey = P .. id
  local f = redis.call("HMGET", tkey, "st", "tk", "ct")
  if not f[1] then
    out[#out + 1] = 1; out[#out + 1] = 0
  elseif f[1] == "running" and f[2] == tok then
    local dl = now + tonumber(ARGV[o + 2])
    redis.call("HSET", tkey, "dl", dl)
    if ARGV[o + 3] ~= "" then redis.call("HSET", tkey, "pg", ARGV[o + 3]) end
    redis.call("ZADD", KEYS[1], dl, id)
    out[#out + 1] = 0; out[#out + 1] = dl
  elseif f[1] == "cancelled" and f[3] == tok then
    out[#out + 1] = 3; out[#out + 1] = 0
  else
    out[#out + 1] = 2; out[#out + 1] = 0
  end
end
return out
