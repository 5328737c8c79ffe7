--[[
  ScheduleClaim: the tick transition of one schedule: compare-and-set of its next run, then the tick's
  tasks are enqueued in this same script. The catalog appends TaskEnqueueMany.lua's body after this
  prologue, so the enqueue is the very code of TaskEnqueueMany (idempotency keys, counts, events, wake).

  KEYS[1..6] as TaskEnqueueMany (ready, scheduled, ix, meta, idem, idemexp) of the schedule's queue
  KEYS[7] schedule  HASH (see RedisKeys)        KEYS[8] due  ZSET name -> next run ms

  ARGV as TaskEnqueueMany (ARGV[1..7], then 8 values per task), followed by six claim values:
    mode ("claim" | "now"), name, expected next run ms, new next run ms ("" none),
    last run ms ("" unchanged), last task id ("" unchanged)

  Returns { -1 } when nothing was claimed (another process moved the next run, the schedule is paused
  or gone); otherwise TaskEnqueueMany's answer for the tasks (an empty array for none).
]]
local c = #ARGV - 5
local mode, sname, expected, nxt, lastrun, lasttask = ARGV[c], ARGV[c + 1], ARGV[c + 2], ARGV[c + 3], ARGV[c + 4], ARGV[c + 5]
if redis.call("EXISTS", KEYS[7]) == 0 then return { -1 } end
if mode == "claim" then
  if redis.call("HGET", KEYS[7], "p") == "1" or redis.call("HGET", KEYS[7], "n") ~= expected then return { -1 } end
  redis.call("HSET", KEYS[7], "n", nxt)
  if nxt == "" then redis.call("ZREM", KEYS[8], sname) else redis.call("ZADD", KEYS[8], nxt, sname) end
end
if lastrun ~= "" then redis.call("HSET", KEYS[7], "l", lastrun) end
if lasttask ~= "" then redis.call("HSET", KEYS[7], "lt", lasttask) end
-- TaskEnqueueMany.lua follows.
