--[[
  ScheduleUpsert: create or replace one schedule of this queue, keeping its last run and created time.

  KEYS[1] schedule  HASH  d, p, n, l, lt, c, u (see RedisKeys)
  KEYS[2] due       ZSET  name -> next run ms

  ARGV[1] name   ARGV[2] definition json   ARGV[3] paused ("1"|"0")   ARGV[4] next run ms ("" none)   ARGV[5] now ms

  Returns 1 created, 0 replaced.
]]
local created = redis.call("HSETNX", KEYS[1], "c", ARGV[5])
redis.call("HSET", KEYS[1], "d", ARGV[2], "p", ARGV[3], "n", ARGV[4], "u", ARGV[5])
if ARGV[3] == "0" and ARGV[4] ~= "" then
  redis.call("ZADD", KEYS[2], ARGV[4], ARGV[1])
else
  redis.call("ZREM", KEYS[2], ARGV[1])
end
return created
