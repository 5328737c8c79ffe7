#!/usr/bin/env bash
# Conveyor and its peers on ONE scratch Redis, in one run on one machine (not part of the test suite).
#   bench/peers/run.sh [--tasks N]
# Starts redis-server on a free loopback port (no persistence, the same for every contender), runs
# `conveyor bench --store redis://…` and BullMQ's bench (bench/peers/bullmq, from npm) against it,
# prints both sets of lines and the ratios of W1 processed rate and Redis CPU per task.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tasks=10000
if [ "${1:-}" = "--tasks" ]; then tasks="$2"; fi

command -v redis-server >/dev/null || { echo "run.sh: redis-server is required" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node (20+) is required for the BullMQ bench" >&2; exit 1; }
[ -d "$here/bullmq/node_modules" ] || (cd "$here/bullmq" && npm ci --no-audit --no-fund >&2)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
dir="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
url="redis://127.0.0.1:$port"
echo "redis $(redis-server --version | grep -o 'v=[^ ]*') on $url, $(nproc) cores; W1 tasks=$tasks" >&2

ours="$("$root/conveyor" bench --store "$url" --tasks "$tasks" --quiet)"
theirs="$(cd "$here/bullmq" && node bench.mjs "$url" --tasks "$tasks")"
printf '%s\n%s\n' "$ours" "$theirs"

field() { # field LINES PREFIX NAME -> the number after NAME= on the line starting with PREFIX
  printf '%s\n' "$1" | grep "^$2" | grep -o "$3=[0-9.]*" | head -1 | cut -d= -f2
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "ratio conveyor/bullmq  W1_processed=$(ratio "$(field "$ours" 'W1 ' 'processed')" "$(field "$theirs" 'W1 ' 'processed')") redis_cpu_per_task=$(ratio "$(field "$ours" 'Redis cost' 'cpu_us_per_task')" "$(field "$theirs" 'Redis cost' 'cpu_us_per_task')") calls_per_task=$(ratio "$(field "$ours" 'Redis cost' 'calls_per_task')" "$(field "$theirs" 'Redis cost' 'calls_per_task')")"
