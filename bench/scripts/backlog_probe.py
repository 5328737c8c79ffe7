#!/usr/bin/env python3
"""Redis's own CPU per task behind a backlog, round after round (not part of the tests).

    redis-server --port <free port> --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command local
    bench/scripts/backlog_probe.py --port <port> --backlog 1100000 [--repeat 14] [--rounds 10] [--lua src/Conveyor.Redis/Lua]

Needs a scratch redis-server on 127.0.0.1 that nobody else uses: it runs FLUSHALL (unless --keep).
Fills one queue with --backlog pending no-op tasks at priority 0 (TaskEnqueueMany, 500 per call),
then runs --repeat measurements of --rounds rounds each, every round shaped like `conveyor bench`'s
W1: 500 single enqueues and one batch of 500 at priority 1 (so they are leased first and the backlog
stays in `ready` and `ix`), then 20 leases of 50 and their completions. Per measurement it prints
Redis's CPU per task (`INFO cpu`, user + sys, over the measurement: the whole process, so nothing
else may use this Redis) and, when the server allows `DEBUG` from a local connection, whether the
queue's `ix` and `ready` sorted sets and the keyspace were mid-rehash when it began (`DEBUG
HTSTATS-KEY` / `DEBUG HTSTATS`).

What it shows (docs/performance.md, "Backlog"): a dict that grows past a power of two doubles and
then moves its entries one bucket per operation on it; a sorted set's dict is rehashed only by the
commands on that key, so the first tasks after a large fill pay the fill's rehash. Once it is done,
the CPU per task is the 10k figure again.

Each script is sent whole, with all of Lib.lua before it (the store sends only the helpers a script
names: LuaPrelude), so a single enqueue costs more here than in the store; compare runs of this
script with each other, not with `conveyor bench`.
"""
import argparse, os, re, sys, time

sys.dont_write_bytecode = True  # importing lease_complete leaves no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lease_complete import Resp, uuid7  # noqa: E402


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--backlog", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=10, help="rounds of 1,000 tasks per measurement")
    p.add_argument("--repeat", type=int, default=1, help="measurements, one after the other")
    p.add_argument("--lua", default=os.path.join(root, "src/Conveyor.Redis/Lua"))
    p.add_argument("--keep", action="store_true", help="no FLUSHALL: fill the queue up to --backlog")
    a = p.parse_args()
    r = Resp(a.port)
    lib = open(os.path.join(a.lua, "Lib.lua")).read()
    load = lambda name: r.cmd("SCRIPT", "LOAD", lib + "\n" + open(os.path.join(a.lua, name + ".lua")).read())
    enqueue, lease, complete = load("TaskEnqueueMany"), load("TaskLease"), load("TaskCompleteMany")
    tag = "bench:{q:q}:"
    prefix = tag + "t:"
    now = int(time.time() * 1000)
    spec = f"5|e|1000|2|3600000|1800000|{now}|"  # TaskHash.Spec of a default task
    token = "q/0123456789abcdef."

    def enq(n, priority):
        args = [prefix, now, 86_400_000, "PUBLISH " + tag + "wake", tag + "ev", "q", n]
        for _ in range(n):
            args += [uuid7(), "noop", priority, "pending", "", spec, "", "{}"]
        r.cmd("EVALSHA", enqueue, 6, tag + "ready", tag + "scheduled", tag + "ix", tag + "meta", tag + "idem", tag + "idem:exp", *args)

    def cpu():
        t = r.cmd("INFO", "cpu").decode()
        return float(re.search(r"used_cpu_user:([\d.]+)", t).group(1)) + float(re.search(r"used_cpu_sys:([\d.]+)", t).group(1))

    def rehashing():
        def state(*cmd):
            try:
                return "rehashing" if "rehashing target" in r.cmd(*cmd).decode() else "stable"
            except RuntimeError:
                return "unknown"  # DEBUG not enabled for local connections
        return f"ix:{state('DEBUG', 'HTSTATS-KEY', tag + 'ix')} ready:{state('DEBUG', 'HTSTATS-KEY', tag + 'ready')} keyspace:{state('DEBUG', 'HTSTATS', '0')}"

    def one_round():
        for _ in range(500):
            enq(1, 1)
        enq(500, 1)
        n = 0
        for _ in range(20):
            got = r.cmd("EVALSHA", lease, 5, tag + "ready", tag + "scheduled", tag + "running", tag + "meta", tag + "ix",
                        prefix, now, 50, 30_000, "bench-12345-abcdef", token, tag + "ev", "q", 1000)
            tasks = got[1:]
            args = [prefix, now, tag + "ev", "q", len(tasks)]
            for k, t in enumerate(tasks):
                args += [t[-1], f"{token}{k + 1}", ""]
            done = r.cmd("EVALSHA", complete, 5, tag + "running", tag + "fin", tag + "meta", tag + f"hist:{now // 86_400_000}", tag + "ix", *args)
            if any(done[i] != 0 for i in range(0, len(done), 2)):
                raise RuntimeError(f"a completion was refused: {done[:4]}")
            n += len(tasks)
        return n

    if not a.keep:
        r.cmd("FLUSHALL")
    for _ in range(r.cmd("ZCARD", tag + "ready"), a.backlog, 500):
        enq(500, 0)
    for _ in range(a.repeat):
        before = rehashing()
        c0 = cpu()
        n = sum(one_round() for _ in range(a.rounds))
        c = cpu() - c0
        print(f"waiting={r.cmd('ZCARD', tag + 'ready')} ix={r.cmd('ZCARD', tag + 'ix')} at_start={before} "
              f"tasks={n} redis_cpu_us_per_task={c * 1e6 / n:.1f}", flush=True)


if __name__ == "__main__":
    main()
