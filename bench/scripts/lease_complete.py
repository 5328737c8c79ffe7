#!/usr/bin/env python3
"""Redis's own cost of the lease and complete scripts, without .NET in the way (not part of the tests).

    bench/scripts/lease_complete.py [--port 6379] [--tasks 50000] [--lua src/Conveyor.Redis/Lua]

Needs a scratch redis-server on 127.0.0.1 that nobody else uses: it runs FLUSHALL. Enqueues --tasks
no-op tasks with TaskEnqueueMany (500 per call), then leases 50 and completes those 50 until the
queue is empty (the keys of the newest layout: an older script ignores the keys it does not take, and
takes "ix" as the name of its "all" set), and reads Redis's time spent in EVALSHA (INFO commandstats) around every call. The
figures are Redis CPU per task in each script: steadier than `conveyor bench`, because nothing else
runs, so a change to a script shows even when it is worth half a microsecond.
"""
import argparse, os, re, time

from resp import Resp, uuid7

def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--tasks", type=int, default=50_000)
    p.add_argument("--lua", default=os.path.join(root, "src/Conveyor.Redis/Lua"))
    a = p.parse_args()
    r = Resp(a.port)
    lib = open(os.path.join(a.lua, "Lib.lua")).read()
    load = lambda name: r.cmd("SCRIPT", "LOAD", lib + "\n" + open(os.path.join(a.lua, name + ".lua")).read())
    enqueue, lease, complete = load("TaskEnqueueMany"), load("TaskLease"), load("TaskCompleteMany")
    # Layout 2 (main before layout 3) took a ninth enqueue value per task, the id index key (0: none).
    body = open(os.path.join(a.lua, "TaskEnqueueMany.lua")).read()
    tail = [0] if "of 9 values each" in body else []
    # Layout 3 leaves out "sf" when it is the created time: the store sends "" for it.
    sf = "" if 'sf == ""' in body else None
    r.cmd("FLUSHALL")
    tag = "bench:{q:q}:"
    prefix = tag + "t:"

    def evalsha_usec():
        m = re.search(r"cmdstat_evalsha:calls=\d+,usec=(\d+)", r.cmd("INFO", "commandstats").decode())
        return int(m.group(1)) if m else 0

    now = int(time.time() * 1000)
    spec = f"5|e|1000|2|3600000|1800000|{now}|"  # TaskHash.Spec of a default task
    for _ in range(0, a.tasks, 500):
        args = [prefix, now, 86_400_000, "PUBLISH " + tag + "wake", tag + "ev", "q", 500]
        for _ in range(500):
            args += [uuid7(), "noop", 0, "pending", now if sf is None else sf, spec, "", "{}", *tail]
        r.cmd("EVALSHA", enqueue, 6, tag + "ready", tag + "scheduled", tag + "ix", tag + "meta", tag + "idem", tag + "idem:exp", *args)

    token = "q/0123456789abcdef."
    lease_us = complete_us = n = 0
    while True:
        u0 = evalsha_usec()
        got = r.cmd("EVALSHA", lease, 5, tag + "ready", tag + "scheduled", tag + "running", tag + "meta", tag + "ix",
                    prefix, now, 50, 30_000, "bench-12345-abcdef", token, tag + "ev", "q", 1000)
        u1 = evalsha_usec()
        tasks = got[1:]
        if not tasks: break
        args = [prefix, now, tag + "ev", "q", len(tasks)]
        for k, t in enumerate(tasks):
            args += [t[-1], f"{token}{k + 1}", ""]
        done = r.cmd("EVALSHA", complete, 5, tag + "running", tag + "fin", tag + "meta", tag + f"hist:{now // 86_400_000}", tag + "ix", *args)
        if any(done[i] != 0 for i in range(0, len(done), 2)):
            raise RuntimeError(f"a completion was refused: {done[:4]}")
        u2 = evalsha_usec()
        lease_us += u1 - u0; complete_us += u2 - u1; n += len(tasks)
    print(f"tasks={n} lease={lease_us / n:.2f}us complete={complete_us / n:.2f}us total={(lease_us + complete_us) / n:.2f}us "
          "(Redis CPU per task in each script, INFO commandstats)")

if __name__ == "__main__":
    main()
