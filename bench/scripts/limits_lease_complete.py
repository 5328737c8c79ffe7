#!/usr/bin/env python3
"""The unhit limit's Redis cost in TaskLease and TaskCompleteMany alone, without .NET (issue 14; not
part of the tests).

    bench/scripts/limits_lease_complete.py --port PORT [--lua main=/tmp/x-main/src/Conveyor.Redis/Lua]
        [--lua after=src/Conveyor.Redis/Lua] [--modes meta,unhit] [--rounds 9] [--tasks 20000]

Needs a scratch redis-server on 127.0.0.1 that nobody else uses (it runs FLUSHALL); take the machine
lock exclusive around it. Each build's scripts are put together as ScriptCatalog does (Lib.lua's
helpers that the script uses, LuaPrelude.cs's split, then the script). For each round, for each mode,
for each build, a queue of its own (FLUSHALL first): --tasks W1 tasks enqueued in batches of 500
(metadata {"tenant": "tN"}, one of 4 tenants in turn, as `conveyor bench --w1-limit meta`), with
`unhit` the bench's limit (1,000,000 running per metadata.tenant) set by QueueLimitSet; then the
queues are drained a call of each in turn (so a change in the machine's speed falls on every build
and mode alike), leased --lease at a time and completed --complete at a time (W1's shapes: about 50 tasks a call of each, from limits-redis-scripts.py) until
the queue is empty. Redis's time in EVALSHA (INFO commandstats) is read around every call, so the
figures are Redis's CPU per task in each script with nothing else running: a change worth a few
tenths of a microsecond per task shows, where whole W1 runs swing by +-20 %.

redisunhit3: a queue's place in the round biases it (the same Lua in two places differed by up to
1 us per task, in every round of a run: docs/limits.md, "redisunhit3"); --shuffle puts the queues in
a new random order each round, so over the rounds every build and mode takes every place.
"""
import argparse, os, random, re, statistics, time

from resp import Resp, uuid7


def prelude(lib):
    """LuaPrelude.cs's split of Lib.lua: name -> (text, names used)."""
    lines = lib.replace("\r\n", "\n").split("\n")
    defs, i = [], 0
    while i < len(lines):
        start = i
        while i < len(lines) and lines[i].startswith("--") and not lines[i].startswith("--[["): i += 1
        if i < len(lines) and lines[i].startswith("--[["):
            while i < len(lines) and not lines[i].startswith("]]"): i += 1
            i += 1
            continue
        if i >= len(lines) or not lines[i].startswith("local "):
            i = max(i, start) + 1
            continue
        m = re.match(r"^local\s+(function\s+)?([A-Za-z_][A-Za-z0-9_]*)", lines[i])
        end = i
        if m.group(1):
            while lines[end] != "end": end += 1
        else:
            while end + 1 < len(lines) and lines[end + 1].strip() and not lines[end + 1].startswith("local ") and not lines[end + 1].startswith("--"): end += 1
        defs.append((m.group(2), "\n".join(lines[start:end + 1]), set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(lines[i:end + 1])))))
        i = end + 1
    return defs


def compose(lua_dir, name):
    defs = prelude(open(os.path.join(lua_dir, "Lib.lua")).read())
    script = open(os.path.join(lua_dir, name + ".lua")).read()
    by = {d[0]: d for d in defs}
    needed, pending = set(), [w for w in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", script)) if w in by]
    while pending:
        n = pending.pop()
        if n in needed: continue
        needed.add(n)
        pending += [u for u in by[n][2] if u in by and u != n]
    return "\n\n".join(d[1] for d in defs if d[0] in needed) + "\n\n" + script


def enqueue(r, shas, queue, mode, tasks, now):
    tag = "conveyor:{q:%s}:" % queue
    prefix = tag + "t:"
    wake = "PUBLISH " + tag + "wake"
    if mode == "unhit":
        r.cmd("EVALSHA", shas["QueueLimitSet"], 1, tag + "meta", prefix, "bench-tenant",
              '{"name":"bench-tenant","key":"metadata.tenant","concurrency":1000000}', "metadata.tenant", wake, 16)
    k = 0
    for _ in range(0, tasks, 500):
        args = [prefix, now, 86_400_000, wake, tag + "ev", queue, 500]
        for _ in range(500):
            md = "" if mode == "off" else '{"tenant":"t%d"}' % (k % 4)
            k += 1
            args += [uuid7(), "noop", 0, "pending", "", f"5|e|1000|2|3600000|1800000|{now}|{md}", "", "{}"]
        r.cmd("EVALSHA", shas["TaskEnqueueMany"], 6, tag + "ready", tag + "scheduled", tag + "ix", tag + "meta", tag + "idem", tag + "idem:exp", *args)


class Stream:
    """One build and mode in a queue of its own, leased and completed a call at a time."""
    def __init__(self, r, shas, queue, mode, now, lease_n, complete_n):
        self.r, self.shas, self.queue, self.mode, self.now = r, shas, queue, mode, now
        self.lease_n, self.complete_n = lease_n, complete_n
        self.tag = "conveyor:{q:%s}:" % queue
        self.held, self.calls, self.lease_us, self.complete_us, self.n, self.done = [], 0, 0, 0, 0, False

    def step(self, usec):
        """One lease call, and the acknowledgement calls it makes due; False once the queue is empty."""
        r, tag, prefix = self.r, self.tag, self.tag + "t:"
        self.calls += 1
        token = f"{self.queue}/{self.calls:016x}."
        u0 = usec()
        got = r.cmd("EVALSHA", self.shas["TaskLease"], 7, tag + "ready", tag + "scheduled", tag + "running", tag + "meta", tag + "ix", tag + "exp", tag + "fin:expired",
                    prefix, self.now, self.lease_n, 30_000, "bench-12345-abcdef", token, tag + "ev", self.queue, 1000)
        self.lease_us += usec() - u0
        leased = got[1:]
        self.held += [(t[-1], f"{token}{i + 1}") for i, t in enumerate(leased)]
        while len(self.held) >= self.complete_n or (self.held and not leased):
            part, self.held = self.held[:self.complete_n], self.held[self.complete_n:]
            args = [prefix, self.now, tag + "ev", self.queue, len(part)]
            for tid, tok in part: args += [tid, tok, ""]
            u0 = usec()
            done = r.cmd("EVALSHA", self.shas["TaskCompleteMany"], 5, tag + "running", tag + "fin", tag + "meta", tag + f"hist:{self.now // 86_400_000}", tag + "ix", *args)
            self.complete_us += usec() - u0
            if any(done[i] != 0 for i in range(0, len(done), 2)): raise RuntimeError(f"a completion was refused: {done[:4]}")
            self.n += len(part)
        return bool(leased)


def run_round(r, streams_spec, tasks, lease_n, complete_n):
    """Every (build, shas, mode) in its own queue, all filled first, then drained a call of each in turn,
    so a change in the machine's speed during the round falls on all of them alike."""
    r.cmd("FLUSHALL")
    now = int(time.time() * 1000)
    streams = []
    for i, (b, shas, mode) in enumerate(streams_spec):
        queue = f"bench-w1-{i}"
        enqueue(r, shas, queue, mode, tasks, now)
        streams.append(Stream(r, shas, queue, mode, now, lease_n, complete_n))

    def usec():
        return int(re.search(r"cmdstat_evalsha:calls=\d+,usec=(\d+)", r.cmd("INFO", "commandstats").decode()).group(1))

    live = list(streams)
    while live:
        live = [s for s in live if s.step(usec)]
    for s in streams:
        if s.n != tasks: raise RuntimeError(f"{s.queue}: {s.n} of {tasks} tasks done")
        if s.mode == "unhit" and r.cmd("HGETALL", s.tag + "lu:run:bench-tenant"):
            raise RuntimeError(f"{s.queue}: running counts left after every task ended")
    return [(s.lease_us / s.n, s.complete_us / s.n) for s in streams]


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lua", action="append", help="name=Lua folder (repeat; default: this tree's)")
    p.add_argument("--modes", default="meta,unhit")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--tasks", type=int, default=20_000)
    p.add_argument("--lease", type=int, default=50)
    p.add_argument("--complete", type=int, default=50)
    p.add_argument("--shuffle", action="store_true",
                   help="each round, the queues' order (and so each build and mode's queue name and turn) at random")
    a = p.parse_args()
    builds = [x.split("=", 1) for x in (a.lua or [f"tree={os.path.join(root, 'src/Conveyor.Redis/Lua')}"])]
    r = Resp(a.port)
    shas = {b: {s: r.cmd("SCRIPT", "LOAD", compose(d, s)).decode() for s in ("TaskEnqueueMany", "TaskLease", "TaskCompleteMany", "QueueLimitSet")} for b, d in builds}
    modes = a.modes.split(",")
    spec = [(b, shas[b], mode) for mode in modes for b, _ in builds]
    res = {}
    for rnd in range(1, a.rounds + 1):
        load = open("/proc/loadavg").read().split()[0]
        order = random.sample(spec, len(spec)) if a.shuffle else spec
        got = run_round(r, order, a.tasks, a.lease, a.complete)
        for place, ((b, _, mode), (le, co)) in enumerate(zip(order, got)):
            res.setdefault((b, mode), []).append((le, co))
            print(f"round={rnd} place={place} build={b} mode={mode} load={load} lease={le:.2f}us complete={co:.2f}us total={le + co:.2f}us", flush=True)
    print(f"\nmedians of {a.rounds} rounds, Redis CPU per task (us; {a.tasks} tasks, {a.lease} a lease, {a.complete} an acknowledgement):")
    med = {}
    for (b, mode), xs in res.items():
        med[(b, mode)] = [statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs), statistics.median(x[0] + x[1] for x in xs)]
        print(f"  {b} {mode}: lease={med[(b, mode)][0]:.2f} complete={med[(b, mode)][1]:.2f} total={med[(b, mode)][2]:.2f}")
    for b, _ in builds:
        if (b, "meta") in med and (b, "unhit") in med:
            m, u = med[(b, "meta")], med[(b, "unhit")]
            diffs = sorted((y[0] + y[1]) - (x[0] + x[1]) for x, y in zip(res[(b, "meta")], res[(b, "unhit")]))
            print(f"  {b} unhit vs meta: lease {u[0] - m[0]:+.2f}, complete {u[1] - m[1]:+.2f}, total {u[2] - m[2]:+.2f} us ({100 * (u[2] / m[2] - 1):+.1f} %);"
                  f" per-round total differences {', '.join(f'{d:+.2f}' for d in diffs)}")


if __name__ == "__main__":
    main()
