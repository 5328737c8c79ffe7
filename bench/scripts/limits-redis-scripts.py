#!/usr/bin/env python3
"""The unhit limit's Redis cost, script by script (issue 14; not part of the tests).

    bench/scripts/limits-redis-scripts.py --port PORT --build main=/tmp/x-main/cli/conveyor.dll \
        --build after=/tmp/x-cli/conveyor.dll [--modes meta,unhit] [--rounds 5] [--tasks 10000]

Needs a scratch redis-server on 127.0.0.1 that nobody else uses (it runs FLUSHALL); take the machine
lock exclusive around it. Runs `conveyor bench --workloads w1 --w1-limit MODE` interleaved (for each
round, for each mode, each build in turn) with SLOWLOG at 0 us and room for every entry, then reads the
whole log and sums, for the W1 queue's TaskLease and TaskCompleteMany (both run only in W1's
processing phase), Redis's time in the script and in each command it ran (a script's own commands are
logged just before it, by the script's client "?:0"; Redis runs one thing at a time, so they are its).
Whole W1 runs swing by +-20 % on a shared machine; the time Redis spends inside one script per task
swings much less, because nothing but that script's own work is in it.

Each run prints one line per script: calls, us per processed task in the script, in its commands, and
"lua" (the rest: the script's own Lua, and the slowlog's own entries for its commands, the same cost
per command in every mode), then the commands by name. The end prints, per build and mode, the medians
over the rounds, and unhit against meta.
"""
import argparse, os, re, statistics, subprocess, sys, time
from collections import defaultdict

from resp import Resp


def script_name(args):
    """TaskLease / TaskCompleteMany of the W1 queue by their keys (KEYS[1] ready / running, KEYS[2]
    scheduled / fin; TaskLease has 7 or 8 keys); None for every other call."""
    if len(args) < 5 or args[0].upper() not in (b"EVALSHA", b"EVAL"): return None
    k1, k2 = args[3], args[4]
    if b"{q:bench-w1-" not in k1: return None
    if k1.endswith(b":ready") and k2.endswith(b":scheduled") and int(args[2]) >= 7: return "TaskLease"  # TaskEnqueueMany: 6 keys, the same first two
    if k1.endswith(b":running") and k2.endswith(b":fin"): return "TaskCompleteMany"
    return None


def profile(r):
    """Sums the slowlog by script: name -> {calls, us, cmd: name -> [count, us]}."""
    log = r.cmd("SLOWLOG", "GET", "-1")
    log.reverse()  # oldest first
    out = {}
    inner = []
    for e in log:
        _id, _ts, us, args = e[0], e[1], e[2], e[3]
        client = e[4] if len(e) > 4 else b""
        if client.startswith(b"?:"):  # a command run by a script: it belongs to the next top-level entry
            inner.append((args[0].upper().decode(), us))
            continue
        name = script_name(args)
        if name:
            s = out.setdefault(name, {"calls": 0, "us": 0, "cmd": defaultdict(lambda: [0, 0])})
            s["calls"] += 1
            s["us"] += us
            for c, cu in inner:
                s["cmd"][c][0] += 1
                s["cmd"][c][1] += cu
        inner = []
    return out, len(log)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--build", action="append", required=True, help="name=path to conveyor.dll (repeat)")
    p.add_argument("--modes", default="meta,unhit")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tasks", type=int, default=10_000, help="bench --tasks (W1 processes twice as many)")
    a = p.parse_args()
    builds = [b.split("=", 1) for b in a.build]
    modes = a.modes.split(",")
    r = Resp(a.port, buffering=1 << 20)
    processed = 2 * a.tasks
    rows = defaultdict(list)  # (build, mode) -> list of per-run dicts
    for rnd in range(1, a.rounds + 1):
        for mode in modes:
            for bname, dll in builds:
                r.cmd("FLUSHALL")
                r.cmd("CONFIG", "RESETSTAT")
                r.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
                r.cmd("CONFIG", "SET", "slowlog-max-len", "2000000")
                r.cmd("SLOWLOG", "RESET")
                load = open("/proc/loadavg").read().split()[:3]
                t0 = time.time()
                res = subprocess.run(["dotnet", dll, "bench", "--store", f"redis://127.0.0.1:{a.port}", "--workloads", "w1",
                                      "--w1-limit", mode, "--tasks", str(a.tasks), "--quiet"], capture_output=True, text=True)
                r.cmd("CONFIG", "SET", "slowlog-log-slower-than", "-1")
                if res.returncode != 0:
                    sys.exit(f"bench failed: {res.stdout}\n{res.stderr}")
                rate = re.search(r"processed=(\d+)/s", res.stdout)
                prof, entries = profile(r)
                r.cmd("SLOWLOG", "RESET")
                row = {"rate": int(rate.group(1)) if rate else 0}
                line = [f"round={rnd} mode={mode} build={bname} load={' '.join(load)} processed={row['rate']}/s entries={entries} run_s={time.time() - t0:.1f}"]
                for name in ("TaskLease", "TaskCompleteMany"):
                    s = prof.get(name)
                    if not s: continue
                    cmd_us = sum(v[1] for v in s["cmd"].values())
                    row[name] = s["us"] / processed
                    row[name + ".cmds"] = cmd_us / processed
                    row[name + ".lua"] = (s["us"] - cmd_us) / processed
                    row[name + ".calls"] = s["calls"]
                    for c, (n, cu) in s["cmd"].items():
                        row[f"{name}.{c}"] = cu / processed
                        row[f"{name}.{c}.n"] = n / processed
                    cmds = " ".join(f"{c}={n / processed:.2f}x/{cu / processed:.2f}us" for c, (n, cu) in sorted(s["cmd"].items(), key=lambda kv: -kv[1][1]))
                    line.append(f"  {name}: calls={s['calls']} us_per_task={row[name]:.2f} cmds={row[name + '.cmds']:.2f} lua={row[name + '.lua']:.2f} | {cmds}")
                rows[(bname, mode)].append(row)
                print("\n".join(line), flush=True)
    print("\nmedians over the rounds (us per processed task; processed/s):")
    keys = ["rate", "TaskLease", "TaskLease.cmds", "TaskLease.lua", "TaskCompleteMany", "TaskCompleteMany.cmds", "TaskCompleteMany.lua"]
    med = {}
    for (bname, mode), runs in rows.items():
        med[(bname, mode)] = {k: statistics.median([x.get(k, 0) for x in runs]) for k in keys}
        m = med[(bname, mode)]
        both = statistics.median([x.get("TaskLease", 0) + x.get("TaskCompleteMany", 0) for x in runs])
        print(f"  {bname} {mode}: " + " ".join(f"{k}={m[k]:.0f}" if k == "rate" else f"{k}={m[k]:.2f}" for k in keys) + f" lease+ack={both:.2f}")
    for bname, _ in builds:
        if (bname, "meta") in med and (bname, "unhit") in med:
            m, u = med[(bname, "meta")], med[(bname, "unhit")]
            pairs = [(x.get("TaskLease", 0) + x.get("TaskCompleteMany", 0), y.get("TaskLease", 0) + y.get("TaskCompleteMany", 0))
                     for x, y in zip(rows[(bname, "meta")], rows[(bname, "unhit")])]
            diffs = sorted(y - x for x, y in pairs)
            print(f"  {bname} unhit vs meta: lease {u['TaskLease'] - m['TaskLease']:+.2f} us, ack {u['TaskCompleteMany'] - m['TaskCompleteMany']:+.2f} us,"
                  f" per-round lease+ack differences {', '.join(f'{d:+.2f}' for d in diffs)}; rate {100 * (u['rate'] / m['rate'] - 1):+.1f} %")


if __name__ == "__main__":
    main()
