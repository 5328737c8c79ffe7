#!/usr/bin/env python3
# limits (issue 14): the CPU time of each SQLite statement of W1's lease and completion, the `meta` path
# (Pick, Lease) against the `unhit` one (PickLimitedKey, Usage/UsageMany, UsagePutMany, LeaseLimited, and
# the completion's Parked and GiveBack per slot), on a copy of a finished `conveyor bench --store FILE
# --workloads w1 --w1-limit unhit` file whose 20,000 tasks with metadata are put back to pending.
# Python's sqlite3 (the system SQLite, not the bundled e_sqlite3), one transaction per lease of K tasks
# and one per completion of them; time.thread_time_ns around each statement, printed per task (µs).
# The per-statement figures include Python's own call overhead (about what the `limits` lookup costs).
#   python3 bench/scripts/limits-sqlite-statements.py FILE meta|unhit K N [new]
# `new` runs UsageMany with this tree's CROSS JOIN (the slots outside) and, for a batch of several
# tenants, the one-statement give-back that was tried and dropped (GiveBackMany below).
import sqlite3, shutil, sys, time, json, collections, random
src, mode, k, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
variant = sys.argv[5] if len(sys.argv) > 5 else ""
db = f"/tmp/limits-sqlite-statements-{mode}{variant}.db"
import os
for e in ("", "-wal", "-shm"):
    try: os.remove(db + e)
    except FileNotFoundError: pass
shutil.copy(src, db)
c = sqlite3.connect(db, isolation_level=None)
c.execute("pragma journal_mode=wal"); c.execute("pragma synchronous=normal")
c.create_function("conveyor_time", 1, lambda t: str(t), deterministic=True)
q = c.execute("select queue from queue_limits").fetchone()[0]
c.execute("begin")
c.execute("update tasks set state='pending', seq=rowid, attempt=0, limit_held=NULL, worker_id=NULL, lease_token=NULL, attempts='[]' where metadata is not null")
c.execute("delete from tasks where metadata is null")
c.execute("commit")
t = collections.Counter(); cnt = collections.Counter()
def ex(name, sql, args=(), fetch=True):
    s = time.thread_time_ns()
    cur = c.execute(sql, args)
    rows = cur.fetchall() if fetch else None
    t[name] += time.thread_time_ns() - s; cnt[name] += 1
    return rows
PICK = "SELECT rowid FROM tasks WHERE state = 'pending' AND queue = ? AND limit_wait IS NULL AND NOT EXISTS (SELECT 1 FROM queues WHERE name = ? AND paused = 1) ORDER BY priority DESC, seq LIMIT 1000"
PICKK = "SELECT rowid, metadata ->> ? FROM tasks WHERE state = 'pending' AND queue = ? AND limit_wait IS NULL AND NOT EXISTS (SELECT 1 FROM queues WHERE name = ? AND paused = 1) ORDER BY priority DESC, seq LIMIT 1000"
LEASE = "UPDATE tasks SET state = 'running', attempt = attempt + 1, worker_id = 'w', lease_token = lower(hex(randomblob(16))), lease_deadline = 5, started_at = 4, progress = NULL, cancel_requested = 0 WHERE rowid IN (SELECT value FROM json_each(?))"
LEASEL = "UPDATE tasks SET state = 'running', attempt = attempt + 1, worker_id = 'w', lease_token = lower(hex(randomblob(16))), lease_deadline = 5, started_at = 4, progress = NULL, cancel_requested = 0, limit_held = picked.held FROM (SELECT value ->> 0 AS r, value ->> 1 AS held FROM json_each(?)) AS picked WHERE tasks.rowid = picked.r"
LEASED = "SELECT * FROM tasks WHERE rowid IN (SELECT value FROM json_each(?))"
USAGEMANY = "SELECT u.name, u.key, u.running, u.window_start, u.window_count FROM json_each(?) j JOIN limit_usage u ON u.queue = ? AND u.name = j.value ->> 0 AND u.key = j.value ->> 1"
PUT = "INSERT INTO limit_usage (queue, name, key, running, window_start, window_count, reopen_at) SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?) WHERE true ON CONFLICT (queue, name, key) DO UPDATE SET running = excluded.running, window_start = excluded.window_start, window_count = excluded.window_count, reopen_at = coalesce(excluded.reopen_at, limit_usage.reopen_at)"
COMPLETE = """WITH items AS (SELECT value ->> '$.id' AS id, value ->> '$.token' AS token, value -> '$.result' AS result FROM json_each(?))
UPDATE tasks SET state = 'succeeded', result = items.result, finished_at = 9, worker_id = NULL, lease_token = NULL, lease_deadline = NULL,
 attempts = json_insert(tasks.attempts, '$[#]', json_object('number', tasks.attempt, 'worker_id', tasks.worker_id, 'started_at', conveyor_time(tasks.started_at), 'finished_at', 'x', 'outcome', 'succeeded'))
FROM items WHERE tasks.id = items.id AND +tasks.state = 'running' AND tasks.lease_token = items.token RETURNING tasks.id, tasks.queue, tasks.type, tasks.limit_held"""
PARKED = "SELECT 1 FROM tasks WHERE queue = ? AND state = 'pending' AND limit_wait IS NOT NULL LIMIT 1"
USAGEMANY2 = "SELECT u.name, u.key, u.running, u.window_start, u.window_count FROM json_each(?) j CROSS JOIN limit_usage u WHERE u.queue = ? AND u.name = j.value ->> 0 AND u.key = j.value ->> 1"
GIVEMANY = "UPDATE limit_usage SET running = max(running - (SELECT value ->> 2 FROM json_each(?1) WHERE value ->> 0 = limit_usage.name AND value ->> 1 = limit_usage.key), 0) WHERE (queue, name, key) IN (SELECT ?2, value ->> 0, value ->> 1 FROM json_each(?1))"
GIVE = "UPDATE limit_usage SET running = max(running - ?, 0) WHERE queue = ? AND name = ? AND key = ?"
total = 0
running = collections.Counter()
s0 = time.thread_time_ns()
while total < n:
    c.execute("begin immediate")
    ex("limits", "SELECT definition FROM queue_limits WHERE queue = ?", (q,))
    if mode == "meta":
        cur = c.execute(PICK, (q, q)); s = time.thread_time_ns(); rows = [r[0] for r in cur.fetchmany(k)]; cur.close(); t["pick"] += time.thread_time_ns() - s
        ids = json.dumps(rows)
        ex("lease", LEASE, (ids,), False)
    else:
        s = time.thread_time_ns(); cur = c.execute(PICKK, ('$."tenant"', q, q)); cand = cur.fetchmany(k); cur.close(); t["pick"] += time.thread_time_ns() - s
        rows = [r[0] for r in cand]; keys = sorted(set(r[1] for r in cand))
        if len(keys) >= 2: u = ex("usage", USAGEMANY2 if variant == "new" else USAGEMANY, (json.dumps([["bench-tenant", x] for x in keys]), q))
        else: u = ex("usage", "SELECT running, window_start, window_count FROM limit_usage WHERE queue = ? AND name = ? AND key = ?", (q, "bench-tenant", keys[0]))
        for r in cand: running[r[1]] += 1
        ex("usageput", PUT, (q, json.dumps([["bench-tenant", x, running[x], 0, 0, None] for x in keys])), False)
        picked = "[" + ",".join("[%d,%s]" % (r[0], json.dumps(["bench-tenant\u001f" + r[1]])) for r in cand) + "]"
        ex("lease", LEASEL, (picked,), False)
        ids = json.dumps(rows)
    leased = ex("leased", LEASED, (ids,))
    c.execute("commit")
    c.execute("begin immediate")
    lt = c.execute("select id, lease_token from tasks where rowid in (select value from json_each(?))", (ids,)).fetchall()
    items = json.dumps([{"id": a, "token": b} for a, b in lt])
    done = ex("complete", COMPLETE, (items,))
    if mode != "meta":
        ex("parked", PARKED, (q,))
        per = collections.Counter(json.loads(r[3])[0] for r in done)
        if variant == "new" and len(per) > 1:
            for slot, m in per.items(): running[slot.split("\u001f")[1]] -= m
            ex("giveback", GIVEMANY, (json.dumps([slot.split("\u001f") + [m] for slot, m in per.items()]), q), False)
            per = {}
        for slot, m in per.items():
            name, key = slot.split("\u001f"); running[key] -= m
            ex("giveback", GIVE, (m, q, name, key), False)
    c.execute("commit")
    total += len(rows)
all_ns = time.thread_time_ns() - s0
print(f"{mode}{variant} k={k} tasks={total} all={all_ns/total/1000:.2f}us/task " + " ".join(f"{x}={t[x]/total/1000:.2f}" for x in t))
