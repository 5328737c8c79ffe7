--[[
  ScheduleDue: this queue's unpaused schedules whose next run is at or before now, earliest first.

  KEYS[1] due  ZSET name -> next run ms
  ARGV[1] schedule key prefix ("…{q:x}:sch:")   ARGV[2] now ms   ARGV[3] limit

  Returns a flat array: name, then the schedule's hash as a field/value array, per schedule.
]]
local out = {}
for _, name in ipairs(redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[2], "LIMIT", 0, tonumber(ARGV[3]))) do
  local h = redis.call("HGETALL", ARGV[1] .. name)
  if #h > 0 then
    out[#out + 1] = name
    out[#out + 1] = h
  else
    redis.call("ZREM", KEYS[1], name) -- a stale entry: its schedule is gone
  end
end
return out
