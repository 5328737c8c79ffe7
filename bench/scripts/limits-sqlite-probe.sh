#!/usr/bin/env bash
# The unhit limit's cost in the SQLite store's own TaskLease and TaskCompleteMany (issue 14 item 3):
# bench/sqlite-limits-probe (Program.cs says what one process measures) for each build in turn, ROUNDS
# times, each process on a fresh temp file; take the machine lock exclusive around it. Build the probe
# against each tree first, e.g. for main (the probe's folder copied into main's tree):
#   cp -r bench/sqlite-limits-probe /tmp/x-main/bench/ && dotnet build /tmp/x-main/bench/sqlite-limits-probe -c Release -o /tmp/x-probe-main
#   dotnet build bench/sqlite-limits-probe -c Release -o /tmp/x-probe-head
#   PROBES="main=/tmp/x-probe-main head=/tmp/x-probe-head" ROUNDS=9 bench/scripts/limits-sqlite-probe.sh
# Prints every line of every process (build= and uptime's load beside each), then per build the medians
# of the rounds and the rounds' unhit - meta differences, sorted.
set -u
: "${PROBES:?PROBES=\"name=probe-dir ...\"}"
ROUNDS=${ROUNDS:-9}
PER=${PER:-1}    # measured rounds per process
TASKS=${TASKS:-20000}
LEASE=${LEASE:-50}
MODES=${MODES:-meta,unhit} # meta,meta2: the probe's floor (two queues without a limit)
OUT=$(mktemp)
for round in $(seq 1 "$ROUNDS"); do
  for p in $PROBES; do
    name=${p%%=*} dir=${p#*=}
    load=$(uptime | sed 's/.*load average: //')
    dotnet "$dir/sqlite-limits-probe.dll" --rounds "$PER" --tasks "$TASKS" --lease "$LEASE" --modes "$MODES" | sed "s/^/build=$name set=$round load=[$load] /" | tee -a "$OUT"
  done
done
python3 - "$OUT" "$MODES" <<'PY'
import re, statistics, sys
rows = [l for l in open(sys.argv[1]) if " round=" in l]
builds = list(dict.fromkeys(re.search(r"build=(\S+)", l).group(1) for l in rows))
def num(l, key):
    m = re.search(key + r"=(-?[0-9.]+)", l)
    return float(m.group(1))
for b in builds:
    print(f"build={b}")
    for mode in sys.argv[2].split(","):
        ls = [l for l in rows if f"build={b} " in l and f"mode={mode} " in l]
        def med(part, section): return statistics.median(num(x.split(section)[1], part) for x in ls)
        print(f"  {mode}: median of {len(ls)}: cpu_us_per_task lease={med('lease', 'cpu_us_per_task:'):.2f} complete={med('complete', 'cpu_us_per_task:'):.2f} both={med('both', 'cpu_us_per_task:'):.2f}"
              f" wall both={med('both', 'wall_us_per_task:'):.2f} alloc both={med('both', 'alloc_b_per_task:'):.0f}")
    a2, b2 = sys.argv[2].split(",")
    ds = [l for l in rows if f"build={b} " in l and " diff " in l]
    for key in ("cpu_us_per_task", "wall_us_per_task", "alloc_b_per_task"):
        v = sorted(num(l, key) for l in ds)
        print(f"  {b2}-{a2} {key}: median {statistics.median(v):.2f}, rounds " + ", ".join(f"{x:.2f}" for x in v))
    pct = sorted(float(re.search(r"cpu_us_per_task=-?[0-9.]+ \((-?[0-9.]+) %\)", l).group(1)) for l in ds)
    print(f"  {b2}-{a2} cpu %: median {statistics.median(pct):.1f}, rounds " + ", ".join(f"{x:.1f}" for x in pct))
PY
rm -f "$OUT"
