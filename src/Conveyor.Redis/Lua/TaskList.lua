--[[
  TaskList (read only): one page of ONE queue's tasks, newest first (ids are UUIDv7, so the
  lexical order of the "all" index is creation order), filtered by state, type and the search
  filters. The scan is bounded by a budget: a page may come back short with a cursor, never scan
  without end. What a filter costs per task looked at: state and type one HMGET; error and
  error_type also decode the last error's JSON ("er", only on tasks that have one); tag decodes the
  metadata JSON of the spec. An idempotency key scans nothing: it is one HGET of the queue's
  idempotency index (so it finds the task that holds the key within its window). A state that has
  a set of its own (pending: ready, scheduled, running, failed: dead) whose size is within the budget
  is read from that set (sorted by id here) instead of walking the "all" index.

  KEYS[1] all   KEYS[2] idem (HASH idempotency key -> id)
  KEYS[3] the state's own set (a ZSET of ids), or "all" again when the state has none or none is given

  ARGV[1] P   ARGV[2] cursor ("" from the newest; else only ids below it)   ARGV[3] want
  ARGV[4] state ("" any)   ARGV[5] type ("" any)   ARGV[6] scan budget
  ARGV[7] idempotency key ("" any)   ARGV[8] tag key ("" any)   ARGV[9] tag value
  ARGV[10] error text, lower case ("" any)   ARGV[11] error type ("" any)

  Returns { exhausted (1: the queue has nothing below the last id scanned), last id scanned,
  hash1, hash2, ... } with at most want hashes.
]]
local P, want, st, ty, budget = ARGV[1], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local ik, tk, tv, et, etype = ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]

-- The search filters beyond state and type, on one task hash.
local function search_match(tkey)
  if tk ~= "" then
    local sp = redis.call("HGET", tkey, "sp")
    local md
    if sp then md = string.match(sp, "^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|([^\n]*)") else md = redis.call("HGET", tkey, "md") end
    if not md or md == "" then return false end
    local ok, m = pcall(cjson.decode, md)
    if not ok or type(m) ~= "table" or m[tk] ~= tv then return false end
  end
  if et ~= "" or etype ~= "" then
    local er = redis.call("HGET", tkey, "er")
    if not er or er == "" then return false end
    local ok, e = pcall(cjson.decode, er)
    if not ok or type(e) ~= "table" then return false end
    local etyp = type(e.type) == "string" and e.type or ""
    if etype ~= "" and etyp ~= etype then return false end
    if et ~= "" then
      local msg = type(e.message) == "string" and e.message or ""
      if not string.find(string.lower(etyp), et, 1, true) and not string.find(string.lower(msg), et, 1, true) then return false end
    end
  end
  return true
end

local function state_match(tkey)
  local f = redis.call("HMGET", tkey, "st", "ty")
  return f[1] and (st == "" or f[1] == st) and (ty == "" or f[2] == ty)
end

if ik ~= "" then
  local res = { 1, "" }
  local id = redis.call("HGET", KEYS[2], ik)
  if id and (ARGV[2] == "" or id < ARGV[2]) then
    local tkey = P .. id
    local sp = redis.call("HGET", tkey, "sp")
    local held = sp and string.match(sp, "\n(.*)$") or redis.call("HGET", tkey, "ik")
    if held == ik and state_match(tkey) and search_match(tkey) then res[3] = redis.call("HGETALL", tkey) end
  end
  return res
end

local search = tk ~= "" or et ~= "" or etype ~= ""

if KEYS[3] ~= KEYS[1] and redis.call("ZCARD", KEYS[3]) <= budget then
  -- The whole state set fits the budget: its ids below the cursor, newest first, then the filters.
  local cands = {}
  for _, id in ipairs(redis.call("ZRANGE", KEYS[3], 0, -1)) do
    if ARGV[2] == "" or id < ARGV[2] then cands[#cands + 1] = id end
  end
  table.sort(cands, function(a, b) return a > b end)
  local res, found = { 1, "" }, 0
  for i, id in ipairs(cands) do
    res[2] = id
    local tkey = P .. id
    if state_match(tkey) and (not search or search_match(tkey)) then
      res[#res + 1] = redis.call("HGETALL", tkey)
      found = found + 1
      if found >= want then
        if i < #cands then res[1] = 0 end
        break
      end
    end
  end
  return res
end
local maxid = ARGV[2] == "" and "+" or "(" .. ARGV[2]
local res = { 0, "" }
local scanned, found = 0, 0
while found < want and scanned < budget do
  local page = redis.call("ZREVRANGEBYLEX", KEYS[1], maxid, "-", "LIMIT", 0, 200)
  for _, id in ipairs(page) do
    scanned = scanned + 1
    res[2] = id
    local tkey = P .. id
    if state_match(tkey) and (not search or search_match(tkey)) then
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
