#!/usr/bin/env python3
"""The unhit limit's Redis cost in TaskLease and TaskCompleteMany alone, without .NET (issue 14; not
part of the tests).

    bench/scripts/limits_lease_complete.py --port PORT [--lua main=/tmp/x-main/src/Conveyor.Redis/Lua]
        [--lua after=src/Conveyor.Redis/Lua] [--modes meta,unhit] [--rounds 9] [--tasks 20000]

Needs a scratch redis-server on 127.0.0.1 that nobody else uses (it runs FLUSHALL); take the machine
lock exclusive around it. Each build's scripts are put together as ScriptCatalog does (Lib.lua's
helpers that the script uses, LuaPrelude.cs's split, then the script). For each round, for each mode,
for each build: FLUSHALL, --tasks W1 tasks enqueued in batches of 500 (metadata {"tenant": "tN"}, one
of 4 tenants in turn, as `conveyor bench --w1-limit meta`), with `unhit` the bench's limit (1,000,000
running per metadata.tenant) set by QueueLimitSet, then leased --lease at a time and completed
--complete at a time (W1's shapes: about 19 tasks a lease call and 50 an acknowledgement call) until
the queue is empty. Redis's time in EVALSHA (INFO commandstats) is read around every call, so the
figures are Redis's CPU per task in each script with nothing else running: a change worth a few
tenths of a microsecond per task shows, where whole W1 runs swing by +-20 %.
"""
import argparse, os, re, socket, statistics, time, uuid


class Resp:
    """Just enough of RESP2 for this script (Python has no Redis client in the standard library)."""
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.f.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+": return rest
        if kind == b"-": raise RuntimeError(rest.decode())
        if kind == b":": return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")


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


def uuid7():
    ms = time.time_ns() // 1_000_000
    r = int.from_bytes(os.urandom(10), "big")
    v = (ms << 80) | (0x7 << 76) | ((r >> 64) & 0xFFF) << 64 | (0b10 << 62) | (r & ((1 << 62) - 1))
    return str(uuid.UUID(int=v))


def run_once(r, shas, mode, tasks, lease_n, complete_n):
    r.cmd("FLUSHALL")
    tag = "conveyor:{q:bench-w1-0}:"
    prefix = tag + "t:"
    now = int(time.time() * 1000)
    wake = "PUBLISH " + tag + "wake"
    if mode == "unhit":
        r.cmd("EVALSHA", shas["QueueLimitSet"], 1, tag + "meta", prefix, "bench-tenant",
              '{"name":"bench-tenant","key":"metadata.tenant","concurrency":1000000}', "metadata.tenant", wake, 16)
    k = 0
    for _ in range(0, tasks, 500):
        args = [prefix, now, 86_400_000, wake, tag + "ev", "bench-w1-0", 500]
        for _ in range(500):
            md = "" if mode == "off" else '{"tenant":"t%d"}' % (k % 4)
            k += 1
            args += [uuid7(), "noop", 0, "pending", "", f"5|e|1000|2|3600000|1800000|{now}|{md}", "", "{}"]
        r.cmd("EVALSHA", shas["TaskEnqueueMany"], 6, tag + "ready", tag + "scheduled", tag + "ix", tag + "meta", tag + "idem", tag + "idem:exp", *args)

    def usec():
        return int(re.search(r"cmdstat_evalsha:calls=\d+,usec=(\d+)", r.cmd("INFO", "commandstats").decode()).group(1))

    lease_us = complete_us = n = 0
    held = []
    call = 0
    while True:
        call += 1
        token = f"bench-w1-0/{call:016x}."
        u0 = usec()
        got = r.cmd("EVALSHA", shas["TaskLease"], 7, tag + "ready", tag + "scheduled", tag + "running", tag + "meta", tag + "ix", tag + "exp", tag + "fin:expired",
                    prefix, now, lease_n, 30_000, "bench-12345-abcdef", token, tag + "ev", "bench-w1-0", 1000)
        lease_us += usec() - u0
        leased = got[1:]
        held += [(t[-1], f"{token}{i + 1}") for i, t in enumerate(leased)]
        while len(held) >= complete_n or (held and not leased):
            part, held = held[:complete_n], held[complete_n:]
            args = [prefix, now, tag + "ev", "bench-w1-0", len(part)]
            for tid, tok in part: args += [tid, tok, ""]
            u0 = usec()
            done = r.cmd("EVALSHA", shas["TaskCompleteMany"], 5, tag + "running", tag + "fin", tag + "meta", tag + f"hist:{now // 86_400_000}", tag + "ix", *args)
            complete_us += usec() - u0
            if any(done[i] != 0 for i in range(0, len(done), 2)): raise RuntimeError(f"a completion was refused: {done[:4]}")
            n += len(part)
        if not leased: break
    if n != tasks: raise RuntimeError(f"{n} of {tasks} tasks done")
    if mode == "unhit":
        left = r.cmd("HGETALL", tag + "lu:run:bench-tenant")
        if left: raise RuntimeError(f"running counts left after every task ended: {left}")
    return lease_us / n, complete_us / n


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lua", action="append", help="name=Lua folder (repeat; default: this tree's)")
    p.add_argument("--modes", default="meta,unhit")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--tasks", type=int, default=20_000)
    p.add_argument("--lease", type=int, default=19)
    p.add_argument("--complete", type=int, default=50)
    a = p.parse_args()
    builds = [x.split("=", 1) for x in (a.lua or [f"tree={os.path.join(root, 'src/Conveyor.Redis/Lua')}"])]
    r = Resp(a.port)
    shas = {b: {s: r.cmd("SCRIPT", "LOAD", compose(d, s)).decode() for s in ("TaskEnqueueMany", "TaskLease", "TaskCompleteMany", "QueueLimitSet")} for b, d in builds}
    modes = a.modes.split(",")
    res = {}
    for rnd in range(1, a.rounds + 1):
        for mode in modes:
            for b, _ in builds:
                load = open("/proc/loadavg").read().split()[0]
                le, co = run_once(r, shas[b], mode, a.tasks, a.lease, a.complete)
                res.setdefault((b, mode), []).append((le, co))
                print(f"round={rnd} build={b} mode={mode} load={load} lease={le:.2f}us complete={co:.2f}us total={le + co:.2f}us", flush=True)
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
