--[[
  SchedulePause: pause (next run cleared) or resume (next run given) one schedule of this queue.

  KEYS[1] schedule  HASH     KEYS[2] due  ZSET name -> next run ms

  ARGV[1] name   ARGV[2] paused ("1"|"0")   ARGV[3] next run ms ("" none)   ARGV[4] now ms

  Returns 1 done, 0 no such schedule.
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
redis.call("HSET", KEYS[1], "p", ARGV[2], "n", ARGV[3], "u", ARGV[4])
if ARGV[2] == "0" and ARGV[3] ~= "" then
  redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1])
else
  redis.call("ZREM", KEYS[2], ARGV[1])
end
return 1
