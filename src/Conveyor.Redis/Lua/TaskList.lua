--[[
  TaskList (read only): one page of ONE queue's tasks, newest first, read from the state index
  ("ix", see IX in Lib.lua: one lexical range of ids per state, in id order; UUIDv7 ids sort by
  creation time). A state filter reads its own range from the cursor down (ZREVRANGEBYLEX, O(log n +
  page)); running tasks, which the index leaves out, come from the "running" set (as large as what
  workers hold leased), sorted here; no state filter merges the ranges of every state (few). State
  alone is an index read and looks at no task it does not return. The type and search filters look
  at each task of that order (read in growing chunks), bounded by the scan budget: a page may come
  back short with a cursor, never scan without end. What they cost per task looked at: type one HGET;
  error and error_type also decode the last error's JSON ("er", only on tasks that have one); tag
  decodes the metadata JSON of the spec. An idempotency key scans nothing: it is one HGET of the
  queue's idempotency index (so it finds the task that holds the key within its window).

  KEYS[1] ix (the state index)   KEYS[2] idem (HASH idempotency key -> id)
  KEYS[3] running (ZSET id -> lease deadline: running tasks are not in the state index)

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
    if sp then md = string.match(sp, "^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|([^\n]*)") end
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
    local held = sp and string.match(sp, "\n(.*)$")
    if held == ik and state_match(tkey) and search_match(tkey) then res[3] = task_fields(P, id) end -- memory: the id handed over
  end
  return res
end

local search = tk ~= "" or et ~= "" or etype ~= ""
local filtered = search or ty ~= ""

-- The sources, each giving ids below a position, newest first: a state's range of the state index,
-- or for running tasks (not in the index) the "running" set, as large as what workers hold leased,
-- read whole and sorted by id once.
local sources = {}
local function letter_source(l)
  return function(pos, n)
    local max = pos == "" and ("[" .. l .. "\255") or ("(" .. l .. pos)
    local page = redis.call("ZREVRANGEBYLEX", KEYS[1], max, "[" .. l, "LIMIT", 0, n)
    for i = 1, #page do page[i] = string.sub(page[i], 2) end
    return page
  end
end
local function running_source()
  local ids = {}
  local total = redis.call("ZCARD", KEYS[3])
  for from = 0, total - 1, 1000 do
    for _, id in ipairs(redis.call("ZRANGE", KEYS[3], from, from + 999)) do ids[#ids + 1] = id end
  end
  table.sort(ids, function(a, b) return a > b end)
  return function(pos, n)
    local lo, hi = 1, #ids + 1 -- the first index whose id is below pos
    if pos ~= "" then
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        if ids[mid] >= pos then lo = mid + 1 else hi = mid end
      end
    end
    local page = {}
    for i = lo, math.min(#ids, lo + n - 1) do page[#page + 1] = ids[i] end
    return page
  end
end
if st == "running" then
  sources[1] = running_source()
elseif st ~= "" then
  if not IX[st] then return { 1, "" } end
  sources[1] = letter_source(IX[st])
else
  for _, l in pairs(IX) do sources[#sources + 1] = letter_source(l) end
  sources[#sources + 1] = running_source()
end

-- A k-way merge of the sources, newest first. Each source is read in chunks below its own last id,
-- refilled only when the merge has taken its chunk: so the ids read are about those looked at. A
-- filtered listing (type, search) reads chunks growing from the page size to 512.
local chunk0 = filtered and math.max(want, 32) or want
local heads = {}
for k, src in ipairs(sources) do heads[k] = { fetch = src, buf = {}, i = 1, pos = ARGV[2], done = false, n = chunk0 } end
local function head(h)
  if h.i > #h.buf then
    if h.done then return nil end
    h.buf, h.i = h.fetch(h.pos, h.n), 1
    if #h.buf < h.n then h.done = true end
    if #h.buf == 0 then return nil end
    h.pos = h.buf[#h.buf]
    if h.n < 512 then h.n = h.n * 2 end
  end
  return h.buf[h.i]
end

local res, found, scanned = { 0, "" }, 0, 0
while true do
  local best, bh = nil, nil
  for _, h in ipairs(heads) do
    local id = head(h)
    if id and (not best or id > best) then best, bh = id, h end
  end
  if not best then res[1] = 1 return res end
  bh.i = bh.i + 1
  scanned = scanned + 1
  res[2] = best
  local tkey = P .. best
  if not filtered or ((ty == "" or redis.call("HGET", tkey, "ty") == ty) and (not search or search_match(tkey))) then
    local h = task_fields(P, best) -- memory: the id handed over
    if #h > 0 then
      res[#res + 1] = h
      found = found + 1
      if found >= want then return res end
    end
  end
  if scanned >= budget then return res end
end
