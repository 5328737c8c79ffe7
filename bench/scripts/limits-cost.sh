#!/usr/bin/env bash
# The unhit limit's cost (issue 14): W1 with --w1-limit off|unhit|hit on a scratch redis-server and on
# SQLite (a fresh temp file each run), before (MAIN: a `conveyor` build of main) and after (AFTER: this
# tree's build), interleaved: for each round, for each mode, main then this tree, Redis then SQLite.
# Prints `uptime` beside each run, the bench process's CPU (user+sys, /usr/bin/time) over the run, and
# on Redis the commands run per task (INFO commandstats). Each run's line has the processed rate, the
# bench process's CPU and allocation per processed task (bench_cpu process=, alloc process=) and, on
# Redis, Redis's CPU per task of the processing phase (redis_cpu process=).
# MODES (default "off unhit hit"; "off meta unhit" for the unhit limit's two comparisons) and STORES
# (default "redis sqlite") choose what runs; take the machine lock exclusive around it.
#   MAIN=/tmp/limitcost-main/cli/conveyor.dll AFTER=/tmp/limitcost-cli/conveyor.dll ROUNDS=3 bench/scripts/limits-cost.sh
set -u
: "${MAIN:?MAIN=path to main's conveyor.dll}" "${AFTER:?AFTER=path to this tree's conveyor.dll}"
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-off unhit hit}
STORES=${STORES:-redis sqlite}
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
DIR=$(mktemp -d)
redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --dir "$DIR" --daemonize yes --pidfile "$DIR/redis.pid" >/dev/null
sleep 1
echo "redis-server $(redis-server --version | grep -o 'v=[^ ]*') on 127.0.0.1:$PORT"
run() { # build-name dll store-args... ; prints one line
  local name=$1 dll=$2; shift 2
  local load; load=$(uptime | sed 's/.*load average: //')
  local out; out=$( { /usr/bin/time -f "bench_cpu_s=%U+%S" dotnet "$dll" bench "$@" --quiet; } 2>&1 )
  local cpu; cpu=$(echo "$out" | grep -o 'bench_cpu_s=[0-9.+]*' | sed 's/bench_cpu_s=//' | awk -F+ '{printf "%.2f", $1+$2}')
  local bench; bench=$(echo "$out" | grep 'bench_cpu_us_per_task' | sed -E 's/.*bench_cpu_us_per_task:.* process=([0-9.]+) alloc_bytes_per_task:.* process=([0-9]+) pool_items.*/bench_cpu process=\1 alloc process=\2/')
  local redis; redis=$(echo "$out" | grep -o 'cpu_us_per_task=[0-9.]* (enqueue_single=[0-9.]* enqueue_batch=[0-9.]* process=[0-9.]*)' | sed -E 's/.*process=([0-9.]+)\)/redis_cpu process=\1/')
  echo "$name load=[$load] $(echo "$out" | grep -o 'processed=[0-9]*/s\|lost=[0-9]*' | tr '\n' ' ')$bench $redis bench_cpu_s=$cpu"
}
for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    for build in main after; do
      dll=$MAIN; [ "$build" = after ] && dll=$AFTER
      if [[ " $STORES " == *" redis "* ]]; then
        redis-cli -p "$PORT" flushall >/dev/null
        redis-cli -p "$PORT" config resetstat >/dev/null
        run "round=$round mode=$mode build=$build store=redis " "$dll" --store "redis://127.0.0.1:$PORT" --workloads w1 --w1-limit "$mode"
        # limits: the commands the scripts ran and the script calls, per task of the run (W1's 20,000 and
        # its 20,000 of warm-up): a count, the same on a quiet and a loaded machine.
        redis-cli -p "$PORT" info commandstats | tr ':,=' '   ' | awk '/^cmdstat_/ { if ($1 == "cmdstat_evalsha") e = $3; else if ($1 != "cmdstat_info" && $1 != "cmdstat_config|resetstat") n += $3 } END { printf "  redis commands_per_task=%.2f scripts_per_task=%.3f\n", n / 40000, e / 40000 }'
      fi
      [[ " $STORES " == *" sqlite "* ]] && run "round=$round mode=$mode build=$build store=sqlite" "$dll" --workloads w1 --w1-limit "$mode"
    done
  done
done
kill "$(cat "$DIR/redis.pid")"
rm -rf "$DIR"
