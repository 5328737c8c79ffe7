--[[
  TaskList (read only): one page of ONE queue's tasks, newest first, read from the state index
  ("ix", see IX in Lib.lua: one lexical range of ids per state, in id order; UUIDv7 ids sort by
  creation time). A state filter reads its own range from the cursor down (ZREVRANGEBYLEX, O(log n +
  page)); no state filter merges the ranges of every state (few). State alone is an index read and
  looks at no task it does not return. The type and search filters look at each task of that order
  in steps of 200, bounded by the scan budget: a page may come back short with a cursor, never scan
  without end. What they cost per task looked at: type one HGET; error and error_type also decode the
  last error's JSON ("er", only on tasks that have one); tag decodes the metadata JSON of the spec.
  An idempotency key scans nothing: it is one HGET of the queue's idempotency index (so it finds the
  task that holds the key within its window).

  KEYS[1] ix (the state index)   KEYS[2] idem (HASH idempotency key -> id)

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
local filtered = search or ty ~= ""

local letters = {}
if st ~= "" then
  if not IX[st] then return { 1, "" } end
  letters[1] = IX[st]
else
  for _, l in pairs(IX) do letters[#letters + 1] = l end
end

-- Steps: up to "step" ids of each state's range below pos, merged newest first; the first "step" of
-- the merge are the next "step" ids of the queue in that order (a range that gave fewer has no more).
local step = filtered and 200 or want
local pos, res, found, scanned = ARGV[2], { 0, "" }, 0, 0
while true do
  local merged, full = {}, false
  for _, l in ipairs(letters) do
    local max = pos == "" and ("[" .. l .. "\255") or ("(" .. l .. pos)
    local page = redis.call("ZREVRANGEBYLEX", KEYS[1], max, "[" .. l, "LIMIT", 0, step)
    if #page == step then full = true end
    for _, m in ipairs(page) do merged[#merged + 1] = string.sub(m, 2) end
  end
  if #letters > 1 then table.sort(merged, function(a, b) return a > b end) end
  local take = math.min(#merged, step)
  for i = 1, take do
    local id = merged[i]
    scanned = scanned + 1
    res[2] = id
    local tkey = P .. id
    if not filtered or ((ty == "" or redis.call("HGET", tkey, "ty") == ty) and (not search or search_match(tkey))) then
      local h = redis.call("HGETALL", tkey)
      if #h > 0 then
        res[#res + 1] = h
        found = found + 1
        if found >= want then return res end
      end
    end
    if scanned >= budget then return res end
  end
  if take == #merged and not full then res[1] = 1 return res end
  pos = res[2]
end
