--[[
  OutboxConfirm: the outside delivery confirmed its publishes of ONE queue's ready entries through
  a seq (OutboxTake answered them smallest first); the outbox watermark only moves forward.

  KEYS[1] meta

  ARGV[1] seq confirmed through

  Returns the watermark after.
]]
local cur = tonumber(redis.call("HGET", KEYS[1], "ob")) or 0
local through = tonumber(ARGV[1])
if through > cur then
  redis.call("HSET", KEYS[1], "ob", ARGV[1])
  return through
end
return cur
