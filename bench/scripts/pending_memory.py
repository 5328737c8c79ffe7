#!/usr/bin/env python3
"""Where Redis's bytes per pending task go, key by key (not part of the tests; docs/redis.md "Memory per
pending task").

    bench/scripts/pending_memory.py [--port 6379] [--tasks 10000] [--lua src/Conveyor.Redis/Lua] [--queue bench]

Needs a scratch redis-server on 127.0.0.1 that nobody else uses: it runs FLUSHALL. Enqueues --tasks
pending no-op tasks (W1's shape: type "noop", args {}, max attempts 1) into one queue with the
TaskEnqueueMany.lua of --lua, 500 per call, as the store on standalone Redis sends them (layout 2 also
wrote the id -> queue index in the same call), then prints INFO memory's used_memory delta per task and
MEMORY USAGE (SAMPLES 0: every element) of each kind of key per task, with the task hash's encoding.
"""
import argparse, os, random, sys, time

sys.path.insert(0, os.path.dirname(__file__))
from lease_complete import Resp, uuid7  # noqa: E402

def fnv_bucket(id_):
    h = 2166136261
    for c in id_: h = ((h ^ ord(c)) * 16777619) & 0xFFFFFFFF
    return h & 15

def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--tasks", type=int, default=10_000)
    p.add_argument("--lua", default=os.path.join(root, "src/Conveyor.Redis/Lua"))
    p.add_argument("--queue", default="bench")
    a = p.parse_args()
    r = Resp(a.port)
    lib = open(os.path.join(a.lua, "Lib.lua")).read()
    body = open(os.path.join(a.lua, "TaskEnqueueMany.lua")).read()
    layout2 = "of 9 values each" in body  # layout 2: a ninth value per task, the id index bucket's number
    enqueue = r.cmd("SCRIPT", "LOAD", lib + "\n" + body)
    # Layout 3 leaves out "sf" when it is the created time: the store sends "" for it (TaskHash.AppendEnqueueArgs).
    sf = "" if 'sf == ""' in body else None
    r.cmd("FLUSHALL")
    tag = f"conveyor:{{q:{a.queue}}}:"
    prefix = tag + "t:"
    buckets = [f"conveyor:{{tq:{i:x}}}" for i in range(16)]
    fixed = [tag + k for k in ("ready", "scheduled", "ix", "meta", "idem", "idem:exp")]
    before = int(dict(l.split(":", 1) for l in r.cmd("INFO", "memory").decode().split("\r\n") if ":" in l)["used_memory"])
    now = int(time.time() * 1000)
    spec = f"1|e|1000|2|3600000|1800000|{now}|"  # TaskHash.Spec of W1's task (max attempts 1)
    ids = []
    for _ in range(0, a.tasks, 500):
        args = [prefix, now, 86_400_000, "PUBLISH " + tag + "wake", tag + "ev", a.queue, 500]
        for _ in range(500):
            id_ = uuid7(); ids.append(id_)
            args += [id_, "noop", 0, "pending", now if sf is None else sf, spec, "", "{}"] + ([fnv_bucket(id_) + 1] if layout2 else [])
        keys = fixed + (buckets if layout2 else [])
        r.cmd("EVALSHA", enqueue, len(keys), *keys, *args)
    info = dict(l.split(":", 1) for l in r.cmd("INFO", "memory").decode().split("\r\n") if ":" in l)
    n = len(ids)
    print(f"layout={'2' if layout2 else '3+'} tasks={n} used_memory_delta_per_task={(int(info['used_memory']) - before) / n:.1f} B")
    sample = random.sample(ids, 200)
    hashes = [r.cmd("MEMORY", "USAGE", prefix + i, "SAMPLES", "0") for i in sample]
    print(f"  task hash: {sum(hashes) / len(hashes):.1f} B (MEMORY USAGE, 200 sampled), encoding {r.cmd('OBJECT', 'ENCODING', prefix + sample[0]).decode()}, "
          f"{r.cmd('HLEN', prefix + sample[0])} fields")
    for k in ("ready", "ix"):
        u = r.cmd("MEMORY", "USAGE", tag + k, "SAMPLES", "0")
        print(f"  {k}: {(u or 0) / n:.1f} B per task ({r.cmd('ZCARD', tag + k)} members)")
    idx = sum(r.cmd("MEMORY", "USAGE", b, "SAMPLES", "0") or 0 for b in buckets)
    print(f"  id -> queue index {{tq:x}}: {idx / n:.1f} B per task")

if __name__ == "__main__":
    main()
