--[[
  WorkflowCreate: store a workflow's record (its own hash tag {wf:<id>}: one slot, whatever queues its
  steps live in). Written BEFORE its steps' tasks (see RedisTaskStore.Workflows.cs).

  KEYS[1] the workflow   HASH  d: WorkflowRecord json, v: its version

  ARGV[1] the record json   ARGV[2] its version

  Returns 1 created; 0 the id already exists (a retried create): nothing written.
]]
if redis.call("HSETNX", KEYS[1], "d", ARGV[1]) == 0 then return 0 end
redis.call("HSET", KEYS[1], "v", ARGV[2])
return 1
