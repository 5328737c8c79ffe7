--[[
  OutboxTake: what ONE queue holds ready that its outside delivery (RabbitMQ) has not been handed
  yet. The outbox is the ready set itself: every entry into ready takes a fresh seq (enqueue,
  promote_due, redrive, retry now, OutboxRelease), and meta "ob" is the seq through which the
  delivery confirmed its publishes (OutboxConfirm), so ready entries past "ob" are the outbox. It is
  written in the same script as the record, so no crash can leave a ready task outside it.
  Due scheduled tasks are promoted first (a retry's backoff and a delay are held here, not in RabbitMQ).
  Expiry: tasks past their expires_at are ended before that (expire_due), so an expired due retry is
  never published. Limits: a rate window that reopened puts its parked tasks back in line (as
  limits_pick does on Redis alone), with fresh seqs (limit_unpark on a queue marked "xd"), so they are
  published below; the next reopening counts as due work.

  KEYS[1] ready   KEYS[2] scheduled   KEYS[3] meta   KEYS[4] ix (the state index)
  KEYS[5] exp   KEYS[6] fin:expired (expiry)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] limit   ARGV[4] events channel   ARGV[5] queue   ARGV[6] promote limit

  Returns { paused (0|1), next due ms of a scheduled task or a rate window's reopening, or -1, id1, priority1, seq1, id2, ... }:
  at most limit entries past "ob", the smallest seqs first, so confirming through the last one's seq
  never skips an entry.
]]
local P, nows, limit, q = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[5]
local evs = {}
expire_due(KEYS[5], KEYS[1], KEYS[2], KEYS[6], KEYS[3], KEYS[4], P, q, nows, 1000, evs)
promote_due(KEYS[1], KEYS[2], KEYS[3], P, q, nows, tonumber(ARGV[6]), evs, KEYS[4])
ev_flush(ARGV[4], evs)
local meta = redis.call("HMGET", KEYS[3], "paused", "ob", "lim")
local ob = tonumber(meta[2]) or 0
local first = redis.call("ZRANGE", KEYS[2], 0, 0, "WITHSCORES")
local res = { meta[1] == "1" and 1 or 0, #first == 2 and tonumber(first[2]) or -1 }
if meta[3] then
  local T, now = qtag(P), tonumber(nows)
  local reopened = redis.call("ZRANGEBYSCORE", T .. "lreopen", "-inf", now, "LIMIT", 0, 100)
  if #reopened > 0 then
    local byname = {}
    for _, l in ipairs(limits_load(T)) do byname[l.name] = l end
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
  end
  local reopen = limits_next(P)
  if reopen and (res[2] < 0 or reopen < res[2]) then res[2] = math.max(reopen, 1) end
end
-- Per priority band, the entries past "ob" (the band's scores are band * BAND + seq).
local found = {}
for pr = 9, 0, -1 do
  local base = (9 - pr) * BAND
  local got = redis.call("ZRANGEBYSCORE", KEYS[1], "(" .. string.format("%d", base + ob), "(" .. string.format("%d", base + BAND), "WITHSCORES", "LIMIT", 0, limit)
  for i = 1, #got, 2 do found[#found + 1] = { got[i], pr, tonumber(got[i + 1]) - base } end
end
table.sort(found, function(a, b) return a[3] < b[3] end)
for i = 1, math.min(limit, #found) do
  local e = found[i]
  res[#res + 1] = e[1]; res[#res + 1] = e[2]; res[#res + 1] = string.format("%d", e[3])
end
return res
