--[[
  WorkflowAdvance (and WorkflowCancel): write a workflow's new record over the version it was computed
  from (WorkflowRules runs in .NET; this is the compare-and-set that makes two brokers advancing one
  workflow at once agree: the loser reads again and recomputes, so no step is released twice).

  KEYS[1] the workflow   HASH  d: WorkflowRecord json, v: its version

  ARGV[1] the version read   ARGV[2] the new record json   ARGV[3] the new version
  ARGV[4] ms to keep the record once finished and settled (0: no expiry yet)

  Returns 1 written; 0 the version moved on (nothing written); -1 no such workflow.
]]
local v = redis.call("HGET", KEYS[1], "v")
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "d", ARGV[2], "v", ARGV[3])
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call("PEXPIRE", KEYS[1], ttl) end
return 1
