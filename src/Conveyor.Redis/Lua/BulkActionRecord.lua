--[[
  BulkActionRecord: append one bulk action to the audit log (newest first) and keep the newest only.

  KEYS[1] bulk (LIST of JSON records, under the global hash tag {g})

  ARGV[1] the record as JSON   ARGV[2] how many to keep

  Returns the log's length.
]]
redis.call("LPUSH", KEYS[1], ARGV[1])
redis.call("LTRIM", KEYS[1], 0, tonumber(ARGV[2]) - 1)
return redis.call("LLEN", KEYS[1])
