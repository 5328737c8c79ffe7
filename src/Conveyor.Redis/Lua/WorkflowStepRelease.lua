--[[
  WorkflowStepRelease: waiting -> pending for one workflow step (in its queue's slot), with the args
  merged from its predecessors' results. Idempotent: a task no longer waiting is left as it is, so
  repeating a release (maintenance, after a crash) never runs a step twice.

  KEYS[1] ready   KEYS[2] meta   KEYS[3] ix (the state index)

  ARGV[1] P   ARGV[2] now ms   ARGV[3] id   ARGV[4] args json
  ARGV[5] wake ("PUBLISH <channel>" or "SPUBLISH <channel>")   ARGV[6] events channel   ARGV[7] queue

  Returns 1 released; 0 not waiting (already released, cancelled, or gone): nothing changed.
]]
local P, id = ARGV[1], ARGV[3]
local tkey = P .. id
local f = redis.call("HMGET", tkey, "st", "pr", "ty")
if f[1] ~= "waiting" then return 0 end
local seq = redis.call("HINCRBY", KEYS[2], "seq", 1)
redis.call("HSET", tkey, "st", "pending", "ar", ARGV[4], "sf", ARGV[2], "sq", seq)
redis.call("ZADD", KEYS[1], ready_score(f[2], seq), id)
ix_move(KEYS[3], id, "waiting", "pending") -- redis-index
wake_leasers(ARGV[5])
local evs = {}
ev_add(evs, id, ARGV[7], f[3], "pending", ARGV[2])
ev_flush(ARGV[6], evs)
return 1
