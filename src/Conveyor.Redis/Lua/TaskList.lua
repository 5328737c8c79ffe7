--[[
  TaskList (read only): one page of ONE queue's tasks, newest first (ids are UUIDv7, so the
  lexical order of the "all" index is creation order), filtered by state and type. The scan is
  bounded by a budget: a page may come back short with a cursor, never scan without end.

  KEYS[1] all

  ARGV[1] P   ARGV[2] cursor ("" from the newest; else only ids below it)   ARGV[3] want
  ARGV[4] state ("" any)   ARGV[5] type ("" any)   ARGV[6] scan budget

  Returns { exhausted (1: the queue has nothing below the last id scanned), last id scanned,
  hash1, hash2, ... } with at most want hashes.
]]
local P, want, st, ty, budget = ARGV[1], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local maxid = ARGV[2] == "" and "+" or "(" .. ARGV[2]
local res = { 0, "" }
local scanned, found = 0, 0
while found < want and scanned < budget do
  local page = redis.call("ZREVRANGEBYLEX", KEYS[1], maxid, "-", "LIMIT", 0, 200)
  for _, id in ipairs(page) do
    scanned = scanned + 1
    res[2] = id
    local tkey = P .. id
    local f = redis.call("HMGET", tkey, "st", "ty")
    if f[1] and (st == "" or f[1] == st) and (ty == "" or f[2] == ty) then
      res[#res + 1] = redis.call("HGETALL", tkey)
      found = found + 1
      if found >= want then break end
    end
    if scanned >= budget then break end
  end
  if #page < 200 and found < want and scanned < budget then res[1] = 1 break end
  if #page == 0 then res[1] = 1 break end
  maxid = "(" .. res[2]
end
return res
