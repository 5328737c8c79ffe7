--[[
  TaskUnpark: a parked leaser stops waiting (its wait ended, another wake came, it was cancelled):
  its park record is taken back, or, when an enqueue already leased it a task (park_handoff in
  Lib.lua) whose message it has not had (lost on a reconnect, or still on its way), that task is
  answered here instead, so a live leaser never leaves a task it was handed to its lease's expiry.

  KEYS[1] pk (ZSET park member -> lapse ms)   KEYS[2] pk:<park id> (STRING the id of the task handed)
  KEYS[3] pl:<park id> (parklist, optional: the park's list, when its leaser waits in a BLPOP of it;
  the hand-off, when there was one, is there or was popped)

  ARGV[1] P   ARGV[2] the park member   ARGV[3] the park's lease token

  Returns false (nil) when the park was still there (now removed), had lapsed unused, or its task
  has moved on since (the lease ended: expired and reclaimed, cancelled); otherwise the hand-off's
  message (park_payload), rebuilt from the task hash.
]]
-- parklist: no task for this park: its leaser's BLPOP (if any) is ended by a "-" on its list.
local function none()
  if KEYS[3] then
    redis.call("LPUSH", KEYS[3], "-")
    redis.call("PEXPIRE", KEYS[3], 60000)
  end
  return false
end
if redis.call("ZREM", KEYS[1], ARGV[2]) == 1 then return none() end
local id = redis.call("GET", KEYS[2])
if not id then return none() end
local tkey = ARGV[1] .. id
local s = redis.call("HMGET", tkey, "st", "tk", "sa", "er")
if s[1] ~= "running" or s[2] ~= ARGV[3] then return none() end
redis.call("DEL", KEYS[2])
local h = redis.call("HMGET", tkey, unpack(LEASE_READ))
-- The hand-off answered the attempt before its own (.NET adds one, as for TaskLease's answer).
h[3] = string.format("%d", (tonumber(h[3]) or 1) - 1)
h[8] = h[7] and s[4] or false
h[9] = id
return park_payload(ARGV[3], s[3], h)
