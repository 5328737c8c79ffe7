--[[
  ScheduleDelete: remove one schedule of this queue (the tasks it submitted stay).

  KEYS[1] schedule  HASH     KEYS[2] due  ZSET name -> next run ms
  ARGV[1] name

  Returns 1 removed, 0 there was none.
]]
redis.call("ZREM", KEYS[2], ARGV[1])
return redis.call("DEL", KEYS[1])
