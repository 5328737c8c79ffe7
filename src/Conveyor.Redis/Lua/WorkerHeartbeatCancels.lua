--[[
  WorkerHeartbeatCancels (read only; part of WorkerHeartbeat): which of a worker's running tasks of
  ONE queue were cancelled while running (TaskCancel leaves the fenced-off token in "ct").

  KEYS[1], KEYS[2], ... the tasks' hashes (all of one queue: one slot)
  ARGV[1], ARGV[2], ... the same tasks' ids, in the same order
  Returns the ids that were cancelled while running.
]]
local out = {}
for i = 1, #KEYS do
  local f = redis.call("HMGET", KEYS[i], "st", "ct")
  if f[1] == "cancelled" and f[2] then out[#out + 1] = ARGV[i] end
end
return out
