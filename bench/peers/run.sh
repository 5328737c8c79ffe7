#!/usr/bin/env bash
# Conveyor and its peers (BullMQ 6, bee-queue) on ONE scratch Redis, in one run on one machine (not
# part of the test suite).
#   bench/peers/run.sh [--tasks N] [--runs R] [--timeout SECONDS]
#   CONVEYOR="dotnet /path/conveyor.dll" bench/peers/run.sh   (a fixed build instead of ./conveyor)
# Each of the R runs (default 3) starts a fresh redis-server on a free loopback port (no persistence,
# the same for every contender) and runs, one after another against it, `conveyor bench --store
# redis://…`, BullMQ's bench (bench/peers/bullmq) and bee-queue's (bench/peers/bee), both from npm at
# the versions their package-lock.json pins. Every contender is bounded by --timeout (default 600 s).
# It prints every line, the load (uptime) before each contender, each run's ratios, and at the end
# summary.py's table: min/median/max of every figure per contender and the ratios of the medians.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tasks=10000 runs=3 limit=600
read -r -a conveyor <<< "${CONVEYOR:-$root/conveyor}"
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --timeout) limit="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument $1 (--tasks N, --runs R, --timeout SECONDS)" >&2; exit 2 ;;
  esac
done

command -v redis-server >/dev/null || { echo "run.sh: redis-server is required" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node (20+) is required for the peers' benches" >&2; exit 1; }
for peer in bullmq bee; do
  [ -d "$here/$peer/node_modules" ] || (cd "$here/$peer" && npm ci --no-audit --no-fund >&2)
done

dir="$(mktemp -d)"
redis_pid=""
stop_redis() { if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; redis_pid=""; fi; }
trap 'stop_redis; rm -rf "$dir"' EXIT
log="$dir/lines"
: > "$log"
echo "redis $(redis-server --version | grep -o 'v=[^ ]*'), $(nproc) cores; W1 tasks=$tasks; runs=$runs; bullmq $(node -p "require('$here/bullmq/node_modules/bullmq/package.json').version"), bee-queue $(node -p "require('$here/bee/node_modules/bee-queue/package.json').version")" >&2

for run in $(seq "$runs"); do
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  mkdir -p "$dir/r$run"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir/r$run" --logfile "$dir/r$run/redis.log" &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  url="redis://127.0.0.1:$port"
  for who in conveyor bullmq bee-queue; do
    echo "run $run $who load $(uptime | sed 's/.*load average: //')" | tee -a "$log"
    case "$who" in
      conveyor) timeout "$limit" "${conveyor[@]}" bench --store "$url" --tasks "$tasks" --quiet | tee -a "$log" ;;
      bullmq) (cd "$here/bullmq" && timeout "$limit" node bench.mjs "$url" --tasks "$tasks") | tee -a "$log" ;;
      bee-queue) (cd "$here/bee" && timeout "$limit" node bench.mjs "$url" --tasks "$tasks") | tee -a "$log" ;;
    esac
  done
  stop_redis
  python3 "$here/summary.py" --run "$run" < "$log"
done
python3 "$here/summary.py" < "$log"
